"""Ramps are monotone: raising the percentage only adds subjects, and no subject ever changes variant."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.flags import FlagClient, FlagRuntime, StoreState, anchored_ranges, hash32, parse_flag_set

SUBJECTS = [f"tenant-{i % 613}:user-{i}" for i in range(100_000)]
VARIANTS = {"red": "red", "green": "green", "blue": "blue", "control": "control"}


def _client(percent: float, split: str = "red:1,green:1,blue:2") -> FlagClient:
    flag: dict[str, Any] = {
        "state": "ENABLED",
        "variants": VARIANTS,
        "defaultVariant": "control",
        "metadata": {
            "pavedroad.ramp": f"{percent:g}%",
            "pavedroad.rampStep": 0,
            "pavedroad.rollout": split,
            "pavedroad.stickiness": "targetingKey",
        },
    }
    return FlagClient(FlagRuntime(state=StoreState(1, parse_flag_set({"flags": {"exp": flag}}))))


def _assign(percent: float) -> list[str]:
    c = _client(percent)
    return [c.value("exp", "control", {"targetingKey": s}) for s in SUBJECTS]


def test_ramping_a_three_way_split_on_100k_subjects_never_moves_anyone() -> None:
    """1% → 5% → 25% → 60% → 100%: each step keeps every treated subject in its variant."""
    previous = _assign(0)
    assert set(previous) == {"control"}
    for pct in (1, 5, 25, 60, 100):
        current = _assign(pct)
        for before, after in zip(previous, current, strict=True):
            assert before in ("control", after)
        treated = sum(v != "control" for v in current) / len(current)
        assert abs(treated - pct / 100) < 0.01
        previous = current
    shares = {v: previous.count(v) / len(previous) for v in ("red", "green", "blue")}
    assert abs(shares["red"] - 0.25) < 0.01
    assert abs(shares["blue"] - 0.5) < 0.01


def test_rolling_back_removes_the_most_recently_added_first() -> None:
    """Going 25% → 5% leaves exactly the subjects that were on at 5%: the later additions leave first."""
    at5, at25 = _assign(5), _assign(25)
    back = _assign(5)
    assert back == at5
    added_late = {i for i, (a, b) in enumerate(zip(at5, at25, strict=True)) if a == "control" and b != "control"}
    assert all(back[i] == "control" for i in added_late)


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.integers(1, 10), min_size=1, max_size=5),
    low=st.floats(0, 100),
    high=st.floats(0, 100),
)
def test_anchored_slices_are_nested_as_percent_rises(weights: list[int], low: float, high: float) -> None:
    """For any split and any two percentages, the lower one's slices sit inside the higher one's."""
    low, high = min(low, high), max(low, high)
    split = [(f"v{i}", float(w)) for i, w in enumerate(weights)]
    small, big = anchored_ranges(split, low), anchored_ranges(split, high)
    for (lo1, hi1, n1), (lo2, hi2, n2) in zip(small, big, strict=True):
        assert n1 == n2
        assert lo1 == lo2
        assert hi1 <= hi2
    for key in SUBJECTS[:2000]:
        h = hash32(key)
        inside = [n for lo, hi, n in small if lo <= h < hi]
        if inside:
            assert inside == [n for lo, hi, n in big if lo <= h < hi]
