"""Bucketing is deterministic, uniform and pinned to the hash version stored with the flag."""

from __future__ import annotations

import mmh3
import pytest
from scipy import stats

from pavedroad.flags import HASH_VERSIONS, bucket_index, compile_rule, hash32
from pavedroad.flags.bucketing import bucket_key


def test_v2_is_murmur3_x86_32_seed_0_unsigned() -> None:
    assert hash32("jon@company.com", "v2") == mmh3.hash("jon@company.com", 0, signed=False)
    assert set(HASH_VERSIONS) >= {"v2"}


def test_projection_is_hash_times_total_shifted() -> None:
    """``(h * total) >> 32`` walked over cumulative weights."""
    for h in (0, 1, 2**31, 2**32 - 1, 123_456_789):
        point = (h * 100) >> 32
        assert bucket_index(h, [25, 25, 50]) == (0 if point < 25 else 1 if point < 50 else 2)
    assert bucket_index(5, [0, 0]) == -1


def test_same_key_same_bucket_every_time() -> None:
    rule = compile_rule({"fractional": [{"var": "k"}, ["a", 1], ["b", 1], ["c", 1]]})
    first = [rule({"k": f"s{i}"}) for i in range(1000)]
    again = [rule({"k": f"s{i}"}) for i in range(1000)]
    assert first == again


def test_distribution_passes_chi_square() -> None:
    """100k keys over weights 10/20/30/40 fit the expected shares (χ² p > 0.001)."""
    weights = [10, 20, 30, 40]
    counts = [0, 0, 0, 0]
    for i in range(100_000):
        counts[bucket_index(hash32(f"tenant-{i % 997}:user-{i}"), weights)] += 1
    expected = [w / 100 * 100_000 for w in weights]
    assert stats.chisquare(counts, expected).pvalue > 0.001


@pytest.mark.parametrize(("value", "key"), [("a", "a"), (1, "1"), (True, "true"), (None, None), (1.5, "1.5")])
def test_bucket_keys_of_non_strings_are_json(value: object, key: str | None) -> None:
    assert bucket_key(value) == key
