"""An independent checker of schedules, written from the request's meaning with datetimes and zoneinfo.

It shares no code with the solvers (no slot grid, no masks): a schedule the solvers return must pass it,
and the objective values it computes must equal the ones the solvers report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from pavedroad.scheduling import Interviewer, SchedulingRequest

SLOT = timedelta(minutes=15)


class PlacementLike(Protocol):
    """A placement as the checker reads it: the block's ``Placement`` or the brute force's ``Place``."""

    @property
    def candidate(self) -> str: ...
    @property
    def session(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def seats(self) -> Sequence[Any]: ...
    @property
    def room(self) -> str | None: ...


class Seat(NamedTuple):
    interviewer: str
    role: str


class Place(NamedTuple):
    candidate: str
    session: str
    start: datetime
    end: datetime
    seats: tuple[Seat, ...]
    room: str | None


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    return a0 < b1 and b0 < a1


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def role_of(request: SchedulingRequest, person: Interviewer, pool: str) -> str | None:
    """The seat a person may take, from the training rules as documented (independent of the model's method)."""
    if pool in person.pools:
        return "lead"
    for t in person.training:
        if t.pool != pool:
            continue
        if t.shadows_done < request.training.shadows:
            return "shadow"
        if t.reverse_shadows_done < request.training.reverse_shadows:
            return "reverse_shadow"
        return "lead"
    return None


def person_free(person: Interviewer, start: datetime, end: datetime) -> bool:
    """Every quarter hour of the session inside working hours (local weekday and wall time), and no
    overlap with a busy time."""
    hours = person.working_hours
    opens = hours.start.hour * 60 + hours.start.minute
    closes = hours.end.hour * 60 + hours.end.minute
    t = start
    while t < end:
        local = _local(t, person.timezone)
        minute = local.hour * 60 + local.minute
        if local.weekday() not in hours.weekdays or minute < opens or minute + 15 > closes:
            return False
        t += SLOT
    return not any(_overlap(start, end, b.start, b.end) for b in person.busy)


def violations(  # noqa: PLR0912 - one flat list of the rules, read top to bottom
    request: SchedulingRequest, placements: Iterable[PlacementLike], unscheduled: Iterable[str] = ()
) -> list[str]:
    """Every hard constraint the placements break (empty when the schedule is valid)."""
    out: list[str] = []
    placements = list(placements)
    people = {p.id: p for p in request.interviewers}
    rooms = {r.id: r for r in request.rooms}
    skipped = set(unscheduled)
    horizon_end = request.horizon_start + timedelta(days=request.horizon_days)
    for cand in request.candidates:
        mine = [p for p in placements if p.candidate == cand.id]
        if cand.id in skipped:
            if mine:
                out.append(f"{cand.id}: unscheduled but placed")
            continue
        by = {p.session: p for p in mine}
        if sorted(by) != sorted(s.id for s in cand.sessions) or len(mine) != len(cand.sessions):
            out.append(f"{cand.id}: sessions placed {sorted(by)} != {sorted(s.id for s in cand.sessions)}")
            continue
        for s in cand.sessions:
            p = by[s.id]
            if p.end - p.start != SLOT * s.duration_slots:
                out.append(f"{s.id}: wrong duration")
            if p.start < request.horizon_start or p.end > horizon_end:
                out.append(f"{s.id}: outside the horizon")
            if not any(w.start <= p.start and p.end <= w.end for w in _merged(cand.availability)):
                out.append(f"{s.id}: candidate not available")
            ids = [seat.interviewer for seat in p.seats]
            if len(set(ids)) != len(ids):
                out.append(f"{s.id}: an interviewer sits twice")
            roles = []
            for seat in p.seats:
                person = people[seat.interviewer]
                expected = role_of(request, person, s.pool)
                if expected != seat.role:
                    out.append(f"{s.id}: {seat.interviewer} sits as {seat.role}, may sit as {expected}")
                if not person_free(person, p.start, p.end):
                    out.append(f"{s.id}: {seat.interviewer} is not free")
                roles.append(seat.role)
            if roles.count("lead") != s.panel_size:
                out.append(f"{s.id}: {roles.count('lead')} leads, panel is {s.panel_size}")
            if len(roles) - roles.count("lead") != s.trainee_seats:
                out.append(f"{s.id}: trainee seats filled {len(roles) - roles.count('lead')} != {s.trainee_seats}")
            if s.needs_room:
                if p.room is None:
                    out.append(f"{s.id}: no room")
                elif any(_overlap(p.start, p.end, b.start, b.end) for b in rooms[p.room].busy):
                    out.append(f"{s.id}: room {p.room} is busy")
            elif p.room is not None:
                out.append(f"{s.id}: a room it does not need")
        gap = SLOT * cand.break_slots
        for a in mine:
            for b in mine:
                if a is not b and a.start <= b.start and b.start < a.end + gap:
                    out.append(f"{cand.id}: {a.session} and {b.session} overlap or leave no break")
        for o in cand.order:
            if by[o.before].end > by[o.after].start:
                out.append(f"{cand.id}: {o.before} must end before {o.after}")
        if cand.same_day and len({_local(p.start, cand.timezone).date() for p in mine}) > 1:
            out.append(f"{cand.id}: not on one day")
    # shared resources: nobody double-booked, loads within limits
    seats_of: dict[str, list[PlacementLike]] = {}
    for p in placements:
        for seat in p.seats:
            seats_of.setdefault(seat.interviewer, []).append(p)
    for pid, ps in seats_of.items():
        for i, a in enumerate(ps):
            for b in ps[i + 1 :]:
                if _overlap(a.start, a.end, b.start, b.end):
                    out.append(f"{pid}: double-booked")
        person = people[pid]
        daily, weekly = _loads(request, person, ps)
        if person.daily_limit is not None and any(v > person.daily_limit for v in daily.values()):
            out.append(f"{pid}: daily limit {person.daily_limit} exceeded")
        if person.weekly_limit is not None and any(v > person.weekly_limit for v in weekly.values()):
            out.append(f"{pid}: weekly limit {person.weekly_limit} exceeded")
    room_use = [p for p in placements if p.room]
    for i, a in enumerate(room_use):
        for b in room_use[i + 1 :]:
            if a.room == b.room and _overlap(a.start, a.end, b.start, b.end):
                out.append(f"room {a.room} double-booked")
    return out


def _merged(windows: Iterable[Any]) -> list[Any]:
    class W(NamedTuple):
        start: datetime
        end: datetime

    out: list[W] = []
    for w in sorted(windows, key=lambda w: w.start):
        if out and w.start <= out[-1].end:
            out[-1] = W(out[-1].start, max(out[-1].end, w.end))
        else:
            out.append(W(w.start, w.end))
    return out


def _booked(request: SchedulingRequest, person: Interviewer) -> list[datetime]:
    end = request.horizon_start + timedelta(days=request.horizon_days)
    return [b.start for b in person.busy if b.interview and request.horizon_start <= b.start < end]


def _loads(
    request: SchedulingRequest, person: Interviewer, ps: Sequence[PlacementLike]
) -> tuple[dict[date, int], dict[tuple[int, int], int]]:
    daily: dict[date, int] = {}
    weekly: dict[tuple[int, int], int] = {}
    for start in [*_booked(request, person), *(p.start for p in ps)]:
        d = _local(start, person.timezone).date()
        daily[d] = daily.get(d, 0) + 1
        week = d.isocalendar()[:2]
        weekly[week] = weekly.get(week, 0) + 1
    return daily, weekly


def objectives(
    request: SchedulingRequest, placements: Iterable[PlacementLike], unscheduled: Iterable[str] = ()
) -> tuple[int, int, int, int]:
    """(unscheduled sessions, finish slots, load cost, new interview days) by their documented meaning."""
    placements = list(placements)
    skipped = set(unscheduled)
    unscheduled_sessions = sum(len(c.sessions) for c in request.candidates if c.id in skipped)
    finish = 0
    for cand in request.candidates:
        ends = [p.end for p in placements if p.candidate == cand.id]
        if ends:
            finish += int((max(ends) - request.horizon_start) / SLOT)
    people = {p.id: p for p in request.interviewers}
    new: dict[str, int] = {}
    days: set[tuple[str, date]] = set()
    for p in placements:
        for seat in p.seats:
            new[seat.interviewer] = new.get(seat.interviewer, 0) + 1
            person = people[seat.interviewer]
            d = _local(p.start, person.timezone).date()
            if all(_local(b, person.timezone).date() != d for b in _booked(request, person)):
                days.add((seat.interviewer, d))
    cost = 0
    for pid, n in new.items():
        booked = len(_booked(request, people[pid]))
        cost += sum(booked + j for j in range(1, n + 1))
    return unscheduled_sessions, finish, cost, len(days)
