"""Properties of the canary's statistics that must hold for any counts, not just the simulated ones."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.canary import BucketScheme, count_test
from pavedroad.canary.latency import exceedance_counts, quantile_from_counts
from pavedroad.slo.sketch import LogSketch, key_of

counts = st.lists(st.integers(0, 200), min_size=1, max_size=12)


@st.composite
def slices(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    k = draw(st.integers(1, 12))
    n_b = np.asarray(draw(st.lists(st.integers(0, 500), min_size=k, max_size=k)))
    n_c = np.asarray(draw(st.lists(st.integers(0, 500), min_size=k, max_size=k)))
    x_b = np.asarray([draw(st.integers(0, int(n))) for n in n_b])
    x_c = np.asarray([draw(st.integers(0, int(n))) for n in n_c])
    return n_b, x_b, n_c, x_c


@given(slices(), st.integers(0, 12), st.integers(1, 50))
@settings(max_examples=150, deadline=None)
def test_more_canary_errors_never_mean_less_evidence(
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], index: int, extra: int
) -> None:
    """Evidence of harm is monotone in the canary's errors (and the test is one-sided)."""
    n_b, x_b, n_c, x_c = data
    i = index % len(n_b)
    worse = x_c.copy()
    worse[i] = min(int(n_c[i]), int(worse[i]) + extra)
    before = count_test(n_b, x_b, n_c, x_c, alpha=0.01, with_interval=False)
    after = count_test(n_b, x_b, n_c, worse, alpha=0.01, with_interval=False)
    assert float(after.log_e) >= float(before.log_e) - 1e-9


@given(slices())
@settings(max_examples=100, deadline=None)
def test_swapping_cohorts_flips_the_ratio(data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
    n_b, x_b, n_c, x_c = data
    a = count_test(n_b, x_b, n_c, x_c, alpha=0.01)
    b = count_test(n_c, x_c, n_b, x_b, alpha=0.01)
    if np.isfinite(a.ratio) and np.isfinite(b.ratio) and a.ratio > 0:
        assert np.isclose(float(a.ratio) * float(b.ratio), 1.0)
    # A canary that is not worse than its baseline in any slice gathers no evidence of harm.
    if (x_c * np.maximum(n_b, 1) <= x_b * np.maximum(n_c, 1)).all():
        assert float(a.log_e) <= 1e-9


@given(st.lists(counts, min_size=1, max_size=4), st.sampled_from([0.5, 0.95, 0.99]))
@settings(max_examples=100, deadline=None)
def test_exceedance_counts_are_symmetric_in_the_cohorts(rows: list[list[int]], q: float) -> None:
    """The pooled threshold does not favour either cohort: swapping them swaps the counts."""
    width = max(len(r) for r in rows)
    base = np.asarray([r + [0] * (width - len(r)) for r in rows])
    canary = base[::-1].copy() if len(rows) > 1 else base + 1
    slow_b, slow_c = exceedance_counts(base, canary, q)
    swap_b, swap_c = exceedance_counts(canary, base, q)
    assert (slow_b == swap_c).all()
    assert (slow_c == swap_b).all()
    assert ((slow_b <= base.sum(axis=-1)) & (slow_c <= canary.sum(axis=-1))).all()


@given(st.lists(st.floats(1e-4, 30.0), min_size=1, max_size=300), st.sampled_from([0.5, 0.9, 0.99]))
@settings(max_examples=100, deadline=None)
def test_bucket_scheme_matches_the_slo_recorder_sketch(values: list[float], q: float) -> None:
    """The canary reads the recorder's sketches as is: same keys, same quantiles within 1 %."""
    scheme = BucketScheme(0.01)
    assert [scheme.key(v) for v in values] == [key_of(v) for v in values]
    sketch = LogSketch()
    sketch.extend(values)
    keys = np.asarray(sorted(sketch.bins), dtype=np.int64)
    got = float(quantile_from_counts(keys, np.asarray([sketch.bins[int(k)] for k in keys]), q, scheme))
    expected = sketch.quantile(q)
    assert expected is not None
    assert abs(got - expected) <= 1e-9 + 0.011 * expected
