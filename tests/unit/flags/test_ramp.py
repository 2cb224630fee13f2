"""Ramp schedules: parsing, positions over time, the guard, anchored slices."""

from __future__ import annotations

import itertools
import math

import pytest

from pavedroad.flags import Step, anchored_ranges, format_schedule, parse_schedule, schedule_position
from pavedroad.flags.control import ramp_position
from pavedroad.testing import FakeClock

SCHEDULE = "1%:1h,5%:4h,25%:1d,100%"


def test_schedule_round_trips() -> None:
    steps = parse_schedule(SCHEDULE)
    assert steps[0] == Step(1.0, 3600.0)
    assert steps[-1] == Step(100.0, None)
    assert format_schedule(steps) == SCHEDULE


@pytest.mark.parametrize("bad", ["", "5", "5%:1y", "120%", "10%,5%", "-1%"])
def test_bad_schedules_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(bad)


def test_position_advances_by_holds_while_green_and_stays_when_red() -> None:
    clock = FakeClock()
    steps, start = parse_schedule(SCHEDULE), clock.time()
    assert schedule_position(steps, 0, start, green=True, now=clock.time())[:2] == (0, 1.0)
    clock.advance(3600)
    step, percent, next_at = schedule_position(steps, 0, start, green=True, now=clock.time())
    assert (step, percent, next_at) == (1, 5.0, start + 3600 + 4 * 3600)
    clock.advance(10 * 86400)
    assert schedule_position(steps, 0, start, green=True, now=clock.time())[:2] == (3, 100.0)
    step, percent, next_at = schedule_position(steps, 0, start, green=False, now=clock.time())
    assert (step, percent, math.isinf(next_at)) == (0, 1.0, True)
    assert schedule_position(steps, -1, start, green=True, now=clock.time())[:2] == (-1, 0.0)


def test_ramp_position_reads_the_flag_metadata() -> None:
    clock = FakeClock()
    flag = {
        "state": "ENABLED",
        "variants": {"on": True, "off": False},
        "defaultVariant": "off",
        "metadata": {
            "pavedroad.ramp": SCHEDULE,
            "pavedroad.rampStep": 1,
            "pavedroad.rampSince": clock.time(),
            "pavedroad.guard": "green",
            "pavedroad.safeStep": 0,
        },
    }
    pos = ramp_position("f", flag, clock.time() + 5 * 3600)
    assert (pos.step, pos.percent, pos.safe_step, pos.guard, pos.last_step) == (2, 25.0, 0, "green", 3)
    assert pos.since == clock.time() + 4 * 3600


def test_anchored_slices_start_at_fixed_points() -> None:
    """Each variant's slice starts at its anchor whatever the percentage; slices never overlap."""
    split: list[tuple[str, float]] = [("a", 1), ("b", 1), ("c", 2)]
    for pct in (0, 1, 10, 50, 99, 100):
        slices = anchored_ranges(split, pct)
        assert [lo for lo, _, _ in slices] == [0, 1 << 30, 1 << 31]
        for (_, hi, _), (lo2, _, _) in itertools.pairwise(slices):
            assert hi <= lo2
