"""The slot grid: a request's calendars turned into per-slot masks the solvers and the greedy share.

Slot ``s`` is ``[horizon_start + 15·s min, +15 min)``. A person is *free* in a slot when it lies inside
their working hours (local weekday and time) and overlaps none of their busy times; a session of ``d``
slots may start at ``s`` when all of ``s … s+d-1`` are free. Days and weeks are local to each person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from pavedroad.scheduling.model import SLOT_MINUTES, Busy, Interval, Interviewer, SchedulingRequest, WorkingHours

__all__ = ["Grid", "LocalDays"]

Mask = NDArray[np.bool_]


@dataclass
class LocalDays:
    """The local calendar of one time zone over the horizon: each slot's local date index, and each
    date's first and last slot (slots are in time order, so a date's slots are contiguous)."""

    dates: tuple[date, ...]
    day_of_slot: NDArray[np.int64]
    weekday: NDArray[np.int64]
    minute: NDArray[np.int64]
    ranges: tuple[tuple[int, int], ...]

    @cached_property
    def weeks(self) -> dict[tuple[int, int], list[int]]:
        """ISO week → the date indices in it."""
        out: dict[tuple[int, int], list[int]] = {}
        for k, d in enumerate(self.dates):
            iso = d.isocalendar()
            out.setdefault((iso[0], iso[1]), []).append(k)
        return out


@dataclass
class Grid:
    """Masks for one request, computed once and cached."""

    request: SchedulingRequest
    _days: dict[str, LocalDays] = field(default_factory=dict)
    _free: dict[tuple[str, bool, bool], Mask] = field(default_factory=dict)
    _existing: dict[str, dict[int, int]] = field(default_factory=dict)
    _starts: dict[tuple[str, int, bool, bool], Mask] = field(default_factory=dict)
    _working: dict[tuple[str, WorkingHours], Mask] = field(default_factory=dict)
    _leads: dict[tuple[str, int], NDArray[np.int64]] = field(default_factory=dict)

    @cached_property
    def n(self) -> int:
        return self.request.slots

    def slot_of(self, moment: datetime) -> int:
        return int((moment - self.request.horizon_start) // timedelta(minutes=SLOT_MINUTES))

    def time_of(self, slot: int) -> datetime:
        return self.request.horizon_start + timedelta(minutes=SLOT_MINUTES * slot)

    def days(self, tz: str) -> LocalDays:
        if tz not in self._days:
            zone = ZoneInfo(tz)
            locals_ = [self.time_of(s).astimezone(zone) for s in range(self.n)]
            dates: list[date] = []
            index = np.empty(self.n, dtype=np.int64)
            ranges: list[tuple[int, int]] = []
            for s, moment in enumerate(locals_):
                if not dates or dates[-1] != moment.date():
                    dates.append(moment.date())
                    ranges.append((s, s))
                index[s] = len(dates) - 1
                ranges[-1] = (ranges[-1][0], s)
            self._days[tz] = LocalDays(
                tuple(dates),
                index,
                np.array([m.weekday() for m in locals_], dtype=np.int64),
                np.array([m.hour * 60 + m.minute for m in locals_], dtype=np.int64),
                tuple(ranges),
            )
        return self._days[tz]

    def _slots(self, intervals: Iterable[Interval]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Interval bounds in slots from the horizon start (fractional), as two arrays."""
        origin = self.request.horizon_start.timestamp()
        bounds = np.array([(iv.start.timestamp(), iv.end.timestamp()) for iv in intervals], dtype=np.float64)
        if not len(bounds):
            return np.empty(0), np.empty(0)
        bounds = (bounds - origin) / (SLOT_MINUTES * 60)
        return bounds[:, 0], bounds[:, 1]

    def _mark(self, first: NDArray[np.float64], last: NDArray[np.float64]) -> Mask:
        """Slots ``[first, last)`` of each pair marked (clipped to the horizon)."""
        lo = np.clip(first, 0, self.n).astype(np.int64)
        hi = np.clip(last, 0, self.n).astype(np.int64)
        keep = hi > lo
        diff = np.zeros(self.n + 1, dtype=np.int64)
        np.add.at(diff, lo[keep], 1)
        np.add.at(diff, hi[keep], -1)
        return np.cumsum(diff[:-1]) > 0

    def covered(self, intervals: Iterable[Interval]) -> Mask:
        """Slots lying wholly inside one of ``intervals``."""
        first, last = self._slots(intervals)
        return self._mark(np.ceil(first), np.floor(last))

    def touched(self, intervals: Iterable[Interval]) -> Mask:
        """Slots overlapping any of ``intervals``."""
        first, last = self._slots(intervals)
        return self._mark(np.floor(first), np.ceil(last))

    def working(self, tz: str, hours: WorkingHours) -> Mask:
        """Slots inside ``hours`` in zone ``tz``; cached per zone and hours."""
        key = (tz, hours)
        if key not in self._working:
            self._working[key] = self._working_mask(tz, hours)
        return self._working[key]

    def _working_mask(self, tz: str, hours: WorkingHours) -> Mask:
        local = self.days(tz)
        start = hours.start.hour * 60 + hours.start.minute
        end = hours.end.hour * 60 + hours.end.minute
        return np.isin(local.weekday, hours.weekdays) & (local.minute >= start) & (local.minute + SLOT_MINUTES <= end)

    def calendar_free(self, busy: tuple[Busy, ...]) -> Mask:
        return ~self.touched(busy)

    def person_free(self, person: Interviewer, *, hours: bool = True, calendar: bool = True) -> Mask:
        """Slots ``person`` is free in (within working hours and/or outside busy times); cached."""
        key = (person.id, hours, calendar)
        if key not in self._free:
            free = np.ones(self.n, dtype=bool)
            if hours:
                free &= self.working(person.timezone, person.working_hours)
            if calendar:
                free &= self.calendar_free(person.busy)
            self._free[key] = free
        return self._free[key]

    def person_starts(self, person: Interviewer, duration: int, *, hours: bool = True, calendar: bool = True) -> Mask:
        """Slots where ``person`` is free for ``duration`` slots in a row; cached."""
        key = (person.id, duration, hours, calendar)
        if key not in self._starts:
            self._starts[key] = starts(self.person_free(person, hours=hours, calendar=calendar), duration)
        return self._starts[key]

    def free_leads(self, pool: str, duration: int) -> NDArray[np.int64]:
        """Per slot, how many people qualified to lead ``pool`` are free for ``duration`` slots from it."""
        key = (pool, duration)
        if key not in self._leads:
            count = np.zeros(self.n, dtype=np.int64)
            for p in self.request.interviewers:
                if self.request.stage(p, pool) == "lead":
                    count += self.person_starts(p, duration)
            self._leads[key] = count
        return self._leads[key]

    def existing_interviews(self, person: Interviewer) -> dict[int, int]:
        """Booked interviews per local date index of ``person`` (by their start), inside the horizon."""
        if person.id not in self._existing:
            local = self.days(person.timezone)
            counts: dict[int, int] = {}
            for b in person.busy:
                if b.interview and self.request.horizon_start <= b.start < self.request.horizon_end:
                    k = int(local.day_of_slot[self.slot_of(b.start)])
                    counts[k] = counts.get(k, 0) + 1
            self._existing[person.id] = counts
        return self._existing[person.id]


def starts(free: Mask, duration: int) -> Mask:
    """Slots where ``duration`` consecutive free slots begin."""
    n = len(free)
    out = np.zeros(n, dtype=bool)
    if duration > n:
        return out
    run = np.concatenate(([0], np.cumsum(free.astype(np.int64))))
    out[: n - duration + 1] = (run[duration:] - run[: n - duration + 1]) == duration
    return out


def intervals_of(mask: Mask) -> list[list[int]]:
    """``mask`` as closed ``[first, last]`` runs of True (the form CP-SAT domains take)."""
    if not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [[int(a), int(b) - 1] for a, b in zip(edges[::2], edges[1::2], strict=True)]
