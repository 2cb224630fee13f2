"""The hiring funnel walk: forward-only, log-normal time in stage, statuses consistent with timestamps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pavedroad.recruiting.generator.funnel import MAX_STAGES, MEDIAN_DAYS, STAGE_TYPES, Walk, walk
from pavedroad.recruiting.generator.plan import DAY, REFERENCE, rng

COUNT = 40_000
FULL_PLAN = np.arange(MAX_STAGES)  # every stage type, in order


def _walk(seed: int = 1, *, closed_share: float = 0.3) -> tuple[Walk, np.ndarray, np.ndarray]:
    gen = rng(seed, 99)
    applied = REFERENCE - gen.integers(DAY, 400 * DAY, COUNT)
    closed = gen.random(COUNT) < closed_share
    cutoff = np.where(closed, np.minimum(applied + gen.integers(DAY, 90 * DAY, COUNT), REFERENCE), REFERENCE)
    types = np.tile(FULL_PLAN, (COUNT, 1))
    stages = np.full(COUNT, MAX_STAGES)
    result = walk(
        gen,
        types=types,
        stages=stages,
        applied_at=applied,
        cutoff=cutoff,
        job_closed=closed,
        review_factor=np.ones(COUNT),
    )
    return result, applied, cutoff


def test_reach_never_increases_along_the_plan() -> None:
    """Per-stage conversion: the number of applications reaching position k is non-increasing in k."""
    result, _, _ = _walk()
    reached = [(result.current >= k).sum() for k in range(MAX_STAGES)]
    assert reached[0] == COUNT
    assert all(a >= b for a, b in itertools.pairwise(reached))
    assert reached[-1] > 0  # some are hired


def test_status_matches_timestamps() -> None:
    """hired ⇔ hired_at set, archived ⇔ archived_at set; nothing is later than the cutoff."""
    result, applied, cutoff = _walk()
    hired, archived = result.status == 2, result.status == 1
    assert np.array_equal(hired, result.hired_at >= 0)
    assert np.array_equal(archived, result.archived_at >= 0)
    assert np.array_equal(archived, result.reason >= 0)
    assert np.all(result.hired_at[hired] <= cutoff[hired])
    assert np.all(result.archived_at[archived] <= cutoff[archived])
    assert np.all(result.last_activity_at >= applied)
    assert np.all(result.last_activity_at <= cutoff)
    assert np.all(result.current[hired] == MAX_STAGES - 1)


def test_entry_times_increase_along_the_plan() -> None:
    result, applied, cutoff = _walk()
    assert np.all(result.entered[:, 0] == applied)
    assert np.all(np.diff(result.entered, axis=1) > 0)
    rows = np.arange(COUNT)
    assert np.all(result.entered[rows, result.current] <= cutoff)


@pytest.mark.parametrize("position", range(MAX_STAGES - 1))
def test_time_in_stage_is_log_normal_around_the_median(position: int) -> None:
    """Median within 5% of the declared one, and log(time) symmetric (skewness near 0)."""
    result, _, _ = _walk()
    days = result.stay[:, position] / DAY
    assert np.median(days) == pytest.approx(MEDIAN_DAYS[position], rel=0.05)
    logs = np.log(days)
    skew = np.mean((logs - logs.mean()) ** 3) / logs.std() ** 3
    assert abs(skew) < 0.1, STAGE_TYPES[position]


def test_jobs_that_closed_archive_their_open_applications() -> None:
    """No application stays active on a closed job: the rest are archived as position_filled."""
    result, _, cutoff = _walk(closed_share=1.0)
    assert not np.any(result.status == 0)
    filled = result.reason == 2
    assert filled.any()
    assert np.all(result.archived_at[filled] == cutoff[filled])


def test_the_walk_is_deterministic() -> None:
    first, _, _ = _walk(seed=5)
    again, _, _ = _walk(seed=5)
    other, _, _ = _walk(seed=6)
    assert np.array_equal(first.entered, again.entered)
    assert np.array_equal(first.status, again.status)
    assert not np.array_equal(first.entered, other.entered)
