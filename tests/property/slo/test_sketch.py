"""The sketch keeps its relative-error promise on known distributions, and merges exactly."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.slo import RELATIVE_ACCURACY, LogSketch


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]  # DDSketch's rank definition: floor(q·(n-1))


DISTRIBUTIONS = {
    "lognormal": lambda rng, n: rng.lognormal(mean=-3.0, sigma=1.0, size=n),
    "exponential": lambda rng, n: rng.exponential(scale=0.05, size=n),
    "pareto": lambda rng, n: (rng.pareto(1.5, size=n) + 1) * 0.002,
    "uniform": lambda rng, n: rng.uniform(0.001, 2.0, size=n),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_relative_error_at_p50_p99_p999(name: str) -> None:
    """Within 1% of the exact order statistic at p50, p99 and p99.9."""
    rng = np.random.default_rng(7)
    values = [float(v) for v in DISTRIBUTIONS[name](rng, 100_000)]
    sketch = LogSketch()
    sketch.extend(values)
    for q in (0.5, 0.99, 0.999):
        exact = _exact(values, q)
        got = sketch.quantile(q)
        assert got is not None
        assert abs(got - exact) / exact <= RELATIVE_ACCURACY, (name, q, got, exact)


positive = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(positive, min_size=1, max_size=300), st.lists(positive, max_size=300), st.floats(min_value=0, max_value=1)
)
def test_merge_equals_one_sketch_of_both_streams(a: list[float], b: list[float], q: float) -> None:
    """merge(sketch(a), sketch(b)) == sketch(a + b): same bins, same count, same quantiles."""
    left, right, whole = LogSketch(), LogSketch(), LogSketch()
    left.extend(a)
    right.extend(b)
    whole.extend(a + b)
    left.merge(right)
    assert left == whole
    assert left.quantile(q) == whole.quantile(q)
    exact = _exact(a + b, q)
    got = left.quantile(q)
    assert got is not None
    assert abs(got - exact) / exact <= RELATIVE_ACCURACY + 1e-12


@settings(max_examples=100, deadline=None)
@given(st.lists(positive, min_size=1, max_size=200))
def test_bins_round_trip_through_json_form(values: list[float]) -> None:
    """What Postgres stores (``to_bins``) rebuilds the same sketch."""
    sketch = LogSketch()
    sketch.extend(values)
    again = LogSketch.from_bins(
        sketch.to_bins(), total=sketch.count, total_sum=sketch.sum, low=sketch.min, high=sketch.max
    )
    assert again == sketch
    assert again.quantile(0.99) == sketch.quantile(0.99)


def test_count_at_most_draws_the_line_within_two_percent() -> None:
    sketch = LogSketch()
    values = [random.Random(1).uniform(0.0, 1.0) for _ in range(10_000)]
    sketch.extend(values)
    got = sketch.count_at_most(0.3)
    assert sum(v <= 0.3 for v in values) <= got <= sum(v <= 0.3 * 1.0202 for v in values)
    assert LogSketch().quantile(0.5) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        sketch.quantile(1.5)
