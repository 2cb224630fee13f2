"""First-fit scheduling, the way a recruiter does it by hand: the baseline, and the fallback.

Candidates in the order given; each candidate's sessions in order (respecting the order constraints),
each at the earliest slot where the candidate is free and enough people of the pool are — the first
such people in the list, within their load limits. Same-day onsites are tried one day at a time. It
never breaks a hard constraint, but it never moves an earlier choice to make room for a later one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pavedroad.scheduling.grid import Grid, Mask, starts
from pavedroad.scheduling.model import Candidate, Interviewer, SchedulingRequest, Session
from pavedroad.scheduling.result import Objectives, Placement, Schedule, Seat

__all__ = ["greedy", "measure", "topological"]


def topological(candidate: Candidate) -> list[Session]:
    """The sessions in listed order, moved only as far as the order constraints require."""
    pending = list(candidate.sessions)
    done: set[str] = set()
    out: list[Session] = []
    while pending:
        for s in pending:
            if all(o.before in done for o in candidate.order if o.after == s.id):
                out.append(s)
                done.add(s.id)
                pending.remove(s)
                break
    return out


@dataclass
class _Book:
    """What the greedy has booked so far: busy slots per person and room, interviews per local date."""

    grid: Grid
    taken: dict[str, Mask] = field(default_factory=dict)
    per_day: dict[tuple[str, int], int] = field(default_factory=dict)

    def free(self, key: str, s: int, d: int) -> bool:
        mask = self.taken.get(key)
        return mask is None or not mask[s : s + d].any()

    def take(self, key: str, s: int, d: int) -> None:
        self.taken.setdefault(key, np.zeros(self.grid.n, dtype=bool))[s : s + d] = True

    def release(self, key: str, s: int, d: int) -> None:
        self.taken[key][s : s + d] = False


class _Greedy:
    def __init__(self, request: SchedulingRequest, grid: Grid) -> None:
        self.request, self.grid = request, grid
        self.book = _Book(grid)
        self.existing = {p.id: grid.existing_interviews(p) for p in request.interviewers}
        self._starts: dict[tuple[str, int], Mask] = {}
        self._eligible: dict[str, list[tuple[Interviewer, str]]] = {}
        self._people = {p.id: p for p in request.interviewers}

    def eligible(self, pool: str) -> list[tuple[Interviewer, str]]:
        """The people who may sit in a session of ``pool``, in the request's order, with their seat."""
        if pool not in self._eligible:
            self._eligible[pool] = [
                (p, role) for p in self.request.interviewers if (role := self.request.stage(p, pool)) is not None
            ]
        return self._eligible[pool]

    def _can_start(self, key: str, free: Callable[[], Mask], d: int, s: int) -> bool:
        """Whether ``d`` slots from ``s`` are free in the calendar ``free()`` (computed once per key)."""
        if (key, d) not in self._starts:
            self._starts[(key, d)] = starts(free(), d)
        return bool(self._starts[(key, d)][s])

    def _load_ok(self, p: Interviewer, s: int) -> bool:
        local = self.grid.days(p.timezone)
        k = int(local.day_of_slot[s])
        existing = self.existing[p.id]
        if p.daily_limit is not None and existing.get(k, 0) + self.book.per_day.get((p.id, k), 0) >= p.daily_limit:
            return False
        if p.weekly_limit is not None:
            week = next(days for days in local.weeks.values() if k in days)
            used = sum(existing.get(j, 0) + self.book.per_day.get((p.id, j), 0) for j in week)
            if used >= p.weekly_limit:
                return False
        return True

    def _person_ok(self, p: Interviewer, s: int, d: int) -> bool:
        key = f"p:{p.id}"
        return bool(self.grid.person_starts(p, d)[s]) and self.book.free(key, s, d) and self._load_ok(p, s)

    def _seats(self, session: Session, s: int) -> tuple[Seat, ...] | None:
        d = session.duration_slots
        leads: list[Seat] = []
        trainees: list[Seat] = []
        for p, role in self.eligible(session.pool):
            wanted = leads if role == "lead" else trainees
            limit = session.panel_size if role == "lead" else session.trainee_seats
            if len(wanted) < limit and self._person_ok(p, s, d):
                wanted.append(Seat(interviewer=p.id, role=role))
        if len(leads) < session.panel_size or len(trainees) < session.trainee_seats:
            return None
        return (*leads, *trainees)

    def _room(self, session: Session, s: int) -> str | None:
        d = session.duration_slots
        for room in self.request.rooms:
            key = f"r:{room.id}"
            busy = room.busy
            if self._can_start(key, lambda: self.grid.calendar_free(busy), d, s) and self.book.free(key, s, d):  # noqa: B023
                return room.id
        return None

    def _commit(self, p: Placement, sign: int) -> None:
        for seat in p.seats:
            person = self._people[seat.interviewer]
            k = int(self.grid.days(person.timezone).day_of_slot[p.start_slot])
            key = (seat.interviewer, k)
            self.book.per_day[key] = self.book.per_day.get(key, 0) + sign
            (self.book.take if sign > 0 else self.book.release)(f"p:{seat.interviewer}", p.start_slot, p.duration_slots)
        if p.room:
            (self.book.take if sign > 0 else self.book.release)(f"r:{p.room}", p.start_slot, p.duration_slots)

    def candidate(self, cand: Candidate) -> list[Placement] | None:
        cand_free = self.grid.covered(cand.availability)
        windows = list(self.grid.days(cand.timezone).ranges) if cand.same_day else [(0, self.grid.n - 1)]
        for lo, hi in windows:
            placed = self._attempt(cand, cand_free, lo, hi)
            if placed is not None:
                return placed
        return None

    def _attempt(self, cand: Candidate, cand_free: Mask, lo: int, hi: int) -> list[Placement] | None:
        placed: list[Placement] = []
        cursor = lo
        for session in topological(cand):
            d = session.duration_slots
            spot = None
            for s in range(cursor, hi - d + 2):
                if not self._can_start(f"c:{cand.id}", lambda: cand_free, d, s):
                    continue
                seats = self._seats(session, s)
                room = self._room(session, s) if session.needs_room else None
                if seats is not None and (room is not None or not session.needs_room):
                    spot = Placement(
                        candidate=cand.id,
                        session=session.id,
                        start=self.grid.time_of(s),
                        end=self.grid.time_of(s + d),
                        start_slot=s,
                        duration_slots=d,
                        seats=seats,
                        room=room,
                    )
                    break
            if spot is None:
                for p in placed:
                    self._commit(p, -1)
                return None
            self._commit(spot, +1)
            placed.append(spot)
            cursor = spot.start_slot + d + cand.break_slots
        return placed


def greedy(request: SchedulingRequest, grid: Grid | None = None) -> Schedule:
    """First-fit schedule; candidates it cannot place are listed in ``unscheduled``."""
    grid = grid or Grid(request)
    g = _Greedy(request, grid)
    placements: list[Placement] = []
    unscheduled: list[str] = []
    for cand in request.candidates:
        placed = g.candidate(cand)
        if placed is None:
            unscheduled.append(cand.id)
        else:
            placements.extend(placed)
    schedule = Schedule(status="greedy", solver="greedy", placements=tuple(placements), unscheduled=tuple(unscheduled))
    return schedule.model_copy(update={"objectives": measure(request, grid, schedule)})


def measure(request: SchedulingRequest, grid: Grid, schedule: Schedule) -> Objectives:
    """The objective values of any schedule, by their definitions in ``Objectives``."""
    people = {p.id: p for p in request.interviewers}
    finish: dict[str, int] = {}
    new: dict[str, int] = {}
    days: set[tuple[str, int]] = set()
    for p in schedule.placements:
        finish[p.candidate] = max(finish.get(p.candidate, 0), p.start_slot + p.duration_slots)
        for seat in p.seats:
            person = people[seat.interviewer]
            new[seat.interviewer] = new.get(seat.interviewer, 0) + 1
            k = int(grid.days(person.timezone).day_of_slot[p.start_slot])
            if grid.existing_interviews(person).get(k, 0) == 0:
                days.add((seat.interviewer, k))
    cost = 0
    for pid, n in new.items():
        booked = sum(grid.existing_interviews(people[pid]).values())
        cost += ((booked + n) * (booked + n + 1) - booked * (booked + 1)) // 2
    unscheduled = sum(len(c.sessions) for c in request.candidates if c.id in schedule.unscheduled)
    return Objectives(
        unscheduled_sessions=unscheduled,
        finish_slots=sum(finish.values()),
        load_cost=cost,
        new_interview_days=len(days),
    )
