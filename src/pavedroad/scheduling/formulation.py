"""The CP-SAT model of a request: variables, hard constraints grouped for explanations, objective terms.

Each session has a start variable whose domain holds the slots it may start at, and one Boolean per
person who may sit in it; "person p sits in session i" forces the start into p's free starts. Hard
constraints that a recruiter could relax (the candidate's availability, a person's working hours,
calendar, daily or weekly load limit, an order, same-day, breaks, a trainee seat, a room) form *groups*.
Built with ``explain=False`` each group is simply imposed (and pruned from domains, which keeps the model
small); built with ``explain=True`` each group is imposed only under its own literal, so the solver can be
asked which literals cannot all hold.

ortools is imported when a model is built, not when the block is imported: its import pulls in pandas
(about a second), which a service that never schedules should not pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pavedroad.scheduling.grid import Grid, Mask, intervals_of, starts
from pavedroad.scheduling.model import Candidate, Interviewer, SchedulingRequest, Session
from pavedroad.scheduling.result import Placement, Schedule, Seat

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import CpModel, IntervalVar, IntVar, LinearExprT

__all__ = ["Formulation", "GroupInfo"]


@dataclass(frozen=True)
class GroupInfo:
    """A relaxable constraint group: a stable key, its kind, whom it concerns, and its literal (explain mode)."""

    key: str
    kind: str
    subject: str
    candidate: str
    pool: str | None = None
    detail: str = ""


@dataclass
class SessionVars:
    candidate: Candidate
    session: Session
    start: IntVar
    domain: Mask
    seats: dict[str, tuple[IntVar, str]] = field(default_factory=dict)  # person → (literal, role)
    rooms: dict[str, IntVar] = field(default_factory=dict)
    day: dict[str, list[Any]] = field(default_factory=dict)  # tz → literal per local date (or 0)

    @property
    def key(self) -> tuple[str, str]:
        return (self.candidate.id, self.session.id)


class Formulation:
    """Build once per request (and mode); solve it with ``pavedroad.scheduling.solver``."""

    def __init__(
        self,
        request: SchedulingRequest,
        grid: Grid | None = None,
        *,
        explain: bool = False,
        window: tuple[int, int] | None = None,
    ) -> None:
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.request = request
        self.grid = grid or Grid(request)
        self.explain = explain
        self.window = window  # sessions lie wholly inside slots [first, last] when given
        self.model: CpModel = cp_model.CpModel()
        self.groups: dict[str, GroupInfo] = {}
        self.literals: dict[str, IntVar] = {}
        self.sessions: list[SessionVars] = []
        self.present: dict[str, Any] = {}  # candidate → literal (or True)
        self.finish: dict[str, IntVar] = {}
        self.people = {p.id: p for p in request.interviewers}
        self.batch = len(request.candidates) > 1
        self.terms: dict[str, tuple[LinearExprT, int]] = {}  # objective term → (expression, upper bound)
        self._previous: dict[tuple[str, str], tuple[int, frozenset[Seat], str | None]] = {}
        self.empty = False  # some session has nowhere to start (so the model is infeasible unless a batch)
        self.status = "unknown"  # set by the solver: optimal, feasible, infeasible or unknown
        self._build()

    # ---- groups -------------------------------------------------------------------------------------------------

    def _group(self, key: str, kind: str, subject: str, candidate: str, **extra: str) -> list[Any]:
        """The enforcement literals for group ``key``: ``[]`` (always on) unless explaining."""
        if not self.explain:
            return []
        if key not in self.literals:
            self.groups[key] = GroupInfo(key, kind, subject, candidate, **extra)
            self.literals[key] = self.model.new_bool_var(key)
        return [self.literals[key]]

    def _domain(self, mask: Mask) -> Any:
        return self.cp.Domain.from_intervals(intervals_of(mask))

    # ---- building -----------------------------------------------------------------------------------------------

    def _build(self) -> None:
        m = self.model
        for cand in self.request.candidates:
            present: Any = m.new_bool_var(f"present[{cand.id}]") if self.batch else True
            self.present[cand.id] = present
            cond = [present] if self.batch else []
            avail = self.grid.covered(cand.availability)
            if not self.batch and not all(self._start_domain(s, avail).any() for s in cand.sessions):
                self.empty = True  # some session cannot start anywhere: nothing more to build
                return
            svars = [self._session(cand, s, avail, cond) for s in cand.sessions]
            self.sessions.extend(svars)
            self._candidate_constraints(cand, svars, cond)
        self._people_constraints()
        self._rooms()

    def _start_domain(self, session: Session, avail: Mask) -> Mask:
        """Where the session may start: inside the window, while the candidate is free (a given, also when
        explaining: see ``pavedroad.scheduling.explain`` for how widening it is judged) and, unless
        explaining, while a full panel of qualified leads is free."""
        d = session.duration_slots
        inside = np.ones(self.grid.n, dtype=bool)
        if self.window is not None:
            inside[: self.window[0]] = False
            inside[self.window[1] + 1 :] = False
        domain = starts(avail & inside, d)
        if not self.explain:
            domain &= self.grid.free_leads(session.pool, d) >= session.panel_size
        return domain

    def _session(self, cand: Candidate, session: Session, avail: Mask, cond: list[Any]) -> SessionVars:
        m = self.model
        domain = self._start_domain(session, avail)
        eligible = [
            (p, role)
            for p in self.request.interviewers
            if (role := self.request.stage(p, session.pool)) is not None
            and (role == "lead" or session.trainee_seats > 0)
        ]
        if not domain.any():
            self.empty = True
            # Nowhere to start: the session (so the candidate) cannot be scheduled.
            start = m.new_int_var(0, 0, f"start[{cand.id}.{session.id}]")
            m.add_bool_or([~c for c in cond])
        else:
            start = m.new_int_var_from_domain(self._domain(domain), f"start[{cand.id}.{session.id}]")
        sv = SessionVars(cand, session, start, domain)
        for p, role in eligible:
            self._seat(sv, p, role, cond)
        lead_seats = [lit for lit, role in sv.seats.values() if role == "lead"]
        trainees = [lit for lit, role in sv.seats.values() if role != "lead"]
        m.add(sum(lead_seats) == session.panel_size * self._as_int(cond))
        if session.trainee_seats:
            lits = self._group(f"trainee:{cand.id}.{session.id}", "trainee", session.title, cand.id, pool=session.pool)
            m.add(sum(trainees) <= session.trainee_seats)
            m.add(sum(trainees) == session.trainee_seats * self._as_int(cond)).only_enforce_if(lits)
        return sv

    def _as_int(self, cond: list[Any]) -> Any:
        return cond[0] if cond else 1

    def _seat(self, sv: SessionVars, person: Interviewer, role: str, cond: list[Any]) -> None:
        m, d = self.model, sv.session.duration_slots
        if not self.explain:
            allowed = self.grid.person_starts(person, d) & sv.domain
            if not allowed.any():
                return
            lit = m.new_bool_var(f"seat[{sv.candidate.id}.{sv.session.id}:{person.id}]")
            if not allowed[sv.domain].all():
                m.add_linear_expression_in_domain(sv.start, self._domain(allowed)).only_enforce_if(lit)
        else:
            lit = m.new_bool_var(f"seat[{sv.candidate.id}.{sv.session.id}:{person.id}]")
            hours = self._group(f"working_hours:{person.id}", "working_hours", person.name, sv.candidate.id)[0]
            cal = self._group(f"calendar:{person.id}", "calendar", person.name, sv.candidate.id)[0]
            # two constraints, one per group: with both imposed the start lies in both sets
            for use_h, use_c, group in ((True, False, hours), (False, True, cal)):
                allowed = self.grid.person_starts(person, d, hours=use_h, calendar=use_c) & sv.domain
                if not allowed.any():
                    m.add_bool_or([~lit, ~group])
                elif not allowed[sv.domain].all():
                    m.add_linear_expression_in_domain(sv.start, self._domain(allowed)).only_enforce_if([lit, group])
        if cond:
            m.add_implication(lit, cond[0])
        sv.seats[person.id] = (lit, role)

    def _day_literals(self, sv: SessionVars, tz: str) -> list[Any]:
        """One literal per local date of ``tz`` (0 where the session cannot start that date): exactly one holds."""
        if tz not in sv.day:
            local = self.grid.days(tz)
            lits: list[Any] = []
            for k, (lo, hi) in enumerate(local.ranges):
                if not sv.domain[lo : hi + 1].any():
                    lits.append(0)
                    continue
                b = self.model.new_bool_var(f"day[{sv.candidate.id}.{sv.session.id}@{tz}#{k}]")
                self.model.add_linear_constraint(sv.start, lo, hi).only_enforce_if(b)
                lits.append(b)
            # exactly one date when the candidate is scheduled (none otherwise, in a batch)
            self.model.add(sum(b for b in lits if not isinstance(b, int)) == self.present[sv.candidate.id])
            sv.day[tz] = lits
        return sv.day[tz]

    def _candidate_constraints(self, cand: Candidate, svars: list[SessionVars], cond: list[Any]) -> None:
        m, n = self.model, self.grid.n
        present = cond[0] if cond else None
        plain: list[IntervalVar] = []
        padded: list[IntervalVar] = []
        brk = self._group(f"breaks:{cand.id}", "breaks", cand.id, cand.id) if cand.break_slots else []
        pad_present: Any = None
        if cand.break_slots:
            if brk and present is not None:
                pad_present = m.new_bool_var(f"pad[{cand.id}]")
                m.add_multiplication_equality(pad_present, [brk[0], present])
            else:
                pad_present = brk[0] if brk else present
        for sv in svars:
            d = sv.session.duration_slots
            if present is None:
                plain.append(m.new_fixed_size_interval_var(sv.start, d, f"iv[{sv.key}]"))
            else:
                plain.append(m.new_optional_fixed_size_interval_var(sv.start, d, present, f"iv[{sv.key}]"))
            if cand.break_slots:
                size = d + cand.break_slots
                if pad_present is None:
                    padded.append(m.new_fixed_size_interval_var(sv.start, size, f"pad[{sv.key}]"))
                else:
                    padded.append(m.new_optional_fixed_size_interval_var(sv.start, size, pad_present, f"pad[{sv.key}]"))
        m.add_no_overlap(plain)
        if padded:
            m.add_no_overlap(padded)
        self._order_and_day(cand, svars, cond)
        finish = m.new_int_var(0, n, f"finish[{cand.id}]")
        for sv in svars:
            m.add(finish >= sv.start + sv.session.duration_slots).only_enforce_if(cond)
        if present is not None:
            m.add(finish == 0).only_enforce_if(~present)
        self.finish[cand.id] = finish

    def _order_and_day(self, cand: Candidate, svars: list[SessionVars], cond: list[Any]) -> None:
        m = self.model
        by_id = {sv.session.id: sv for sv in svars}
        for o in cand.order:
            a, b = by_id[o.before], by_id[o.after]
            lits = self._group(
                f"order:{cand.id}.{o.before}<{o.after}",
                "order",
                f"{a.session.title} before {b.session.title}",
                cand.id,
            )
            m.add(a.start + a.session.duration_slots <= b.start).only_enforce_if(lits + cond)
        if cand.same_day and len(svars) > 1:
            lits = self._group(f"same_day:{cand.id}", "same_day", cand.id, cand.id)
            first = self._day_literals(svars[0], cand.timezone)
            for sv in svars[1:]:
                other = self._day_literals(sv, cand.timezone)
                for x, y in zip(first, other, strict=True):
                    m.add(x == y).only_enforce_if(lits + cond)

    def _people_constraints(self) -> None:
        m = self.model
        seats_of: dict[str, list[tuple[SessionVars, Any]]] = {}
        for sv in self.sessions:
            for pid, (lit, _role) in sv.seats.items():
                seats_of.setdefault(pid, []).append((sv, lit))
        load_terms: list[Any] = []
        load_bound = 0
        day_terms: list[Any] = []
        for pid, seats in seats_of.items():
            person = self.people[pid]
            existing = self.grid.existing_interviews(person)
            if self.batch and len(seats) > 1:
                m.add_no_overlap(
                    m.new_optional_fixed_size_interval_var(sv.start, sv.session.duration_slots, lit, f"p[{pid}]")
                    for sv, lit in seats
                )
            # per local date: a literal per seat "this seat is taken on that date", and "p interviews that date"
            per_day: dict[int, list[Any]] = {}
            for sv, lit in seats:
                for k, b in enumerate(self._day_literals(sv, person.timezone)):
                    if isinstance(b, int):
                        continue
                    on = m.new_bool_var(f"on[{pid}#{k}]")
                    m.add_bool_or([~lit, ~b, on])
                    m.add_implication(on, lit)
                    m.add_implication(on, b)
                    per_day.setdefault(k, []).append(on)
            for k, ons in per_day.items():
                if existing.get(k, 0) == 0:
                    busy_day = m.new_bool_var(f"day[{pid}#{k}]")
                    for on in ons:  # at least the max of ``ons``; minimising makes it the max
                        m.add_implication(on, busy_day)
                    day_terms.append(busy_day)
            self._limits(person, per_day, existing, seats[0][0].candidate.id)
            booked, k = sum(existing.values()), len(seats)
            load_terms.append(self._load_cost(pid, booked, [lit for _sv, lit in seats]))
            load_bound += ((booked + k) * (booked + k + 1) - booked * (booked + 1)) // 2
        self.terms["load_cost"] = (sum(load_terms), load_bound)
        self.terms["new_interview_days"] = (sum(day_terms), len(day_terms))

    def _limits(self, person: Interviewer, per_day: dict[int, list[Any]], existing: dict[int, int], cand: str) -> None:
        """Daily and weekly interview limits, booked interviews included."""
        m, pid = self.model, person.id
        local = self.grid.days(person.timezone)
        if person.daily_limit is not None:
            lits = self._group(f"daily_load:{pid}", "daily_load", person.name, cand, detail=str(person.daily_limit))
            for k, ons in per_day.items():
                cap = max(0, person.daily_limit - existing.get(k, 0))
                if len(ons) > cap:
                    m.add(sum(ons) <= cap).only_enforce_if(lits)
        if person.weekly_limit is not None:
            lits = self._group(f"weekly_load:{pid}", "weekly_load", person.name, cand, detail=str(person.weekly_limit))
            for days in local.weeks.values():
                ons = [on for k in days for on in per_day.get(k, [])]
                cap = max(0, person.weekly_limit - sum(existing.get(k, 0) for k in days))
                if len(ons) > cap:
                    m.add(sum(ons) <= cap).only_enforce_if(lits)

    def _load_cost(self, pid: str, booked: int, lits: Sequence[Any]) -> Any:
        """(booked + new)·(booked + new + 1)/2 - booked·(booked + 1)/2: the marginal interview costs more
        the more the person already has (convex, so minimising it spreads interviews)."""
        if len(lits) == 1:
            return (booked + 1) * lits[0]
        m = self.model
        new = m.new_int_var(0, len(lits), f"new[{pid}]")
        m.add(new == sum(lits))
        table = [((booked + j) * (booked + j + 1) - booked * (booked + 1)) // 2 for j in range(len(lits) + 1)]
        cost = m.new_int_var(0, table[-1], f"cost[{pid}]")
        m.add_element(new, table, cost)
        return cost

    def _rooms(self) -> None:
        m = self.model
        per_room: dict[str, list[IntervalVar]] = {}
        for sv in self.sessions:
            if not sv.session.needs_room:
                continue
            cond = [self.present[sv.candidate.id]] if self.batch else []
            d = sv.session.duration_slots
            for room in self.request.rooms:
                allowed = starts(self.grid.calendar_free(room.busy), d) & sv.domain
                if not allowed.any():
                    continue
                lit = m.new_bool_var(f"room[{sv.key}:{room.id}]")
                m.add_linear_expression_in_domain(sv.start, self._domain(allowed)).only_enforce_if(lit)
                per_room.setdefault(room.id, []).append(m.new_optional_fixed_size_interval_var(sv.start, d, lit, "r"))
                sv.rooms[room.id] = lit
            lits = self._group(f"room:{sv.candidate.id}.{sv.session.id}", "room", sv.session.title, sv.candidate.id)
            m.add(sum(sv.rooms.values()) <= 1)
            m.add(sum(sv.rooms.values()) == self._as_int(cond)).only_enforce_if(lits)
        for ivs in per_room.values():
            if len(ivs) > 1:
                m.add_no_overlap(ivs)

    # ---- objectives and reading a solution ----------------------------------------------------------------------

    def objective_terms(self) -> dict[str, tuple[Any, int]]:
        """The objective expressions with an upper bound of each, keyed and ordered as in ``Objectives``."""
        batch = [c for c in self.request.candidates if self.batch]
        return {
            "unscheduled_sessions": (
                sum((1 - self.present[c.id]) * len(c.sessions) for c in batch),
                sum(len(c.sessions) for c in batch),
            ),
            "finish_slots": (sum(self.finish.values()), self.grid.n * len(self.finish)),
            "load_cost": self.terms["load_cost"],
            "new_interview_days": self.terms["new_interview_days"],
        }

    def read(self, value: Any) -> tuple[tuple[Placement, ...], tuple[str, ...]]:
        """Placements and unscheduled candidates from ``value`` (a solver's ``value`` or ``boolean_value``)."""
        placements: list[Placement] = []
        unscheduled = [c.id for c in self.request.candidates if self.batch and not value(self.present[c.id])]
        for sv in self.sessions:
            if sv.candidate.id in unscheduled:
                continue
            s = int(value(sv.start))
            seats = tuple(Seat(interviewer=pid, role=role) for pid, (lit, role) in sv.seats.items() if value(lit))
            room = next((rid for rid, lit in sv.rooms.items() if value(lit)), None)
            placements.append(
                Placement(
                    candidate=sv.candidate.id,
                    session=sv.session.id,
                    start=self.grid.time_of(s),
                    end=self.grid.time_of(s + sv.session.duration_slots),
                    start_slot=s,
                    duration_slots=sv.session.duration_slots,
                    seats=seats,
                    room=room,
                )
            )
        return tuple(placements), tuple(unscheduled)

    def hint(self, schedule: Schedule, seconds: float = 10.0) -> None:
        """Start the search from ``schedule`` (the greedy's). Its starts, seats, rooms and candidates are
        completed into a value for every variable (a copy of the model with them fixed, solved by
        propagation), so the solver holds a feasible solution from its first step."""
        from ortools.sat.python import cp_model

        fixed = self.model.clone()
        for var, value in self._decisions(schedule):
            fixed.add(fixed.get_int_var_from_proto_index(var.index) == value)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = seconds
        if solver.solve(fixed) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            for var, value in self._decisions(schedule):  # a partial hint is still a direction
                self.model.add_hint(var, value)
            return
        solution = solver.response_proto.solution
        for i in range(len(self.model.proto.variables)):
            self.model.add_hint(self.model.get_int_var_from_proto_index(i), int(solution[i]))

    def _decisions(self, schedule: Schedule) -> list[tuple[Any, int]]:
        placed = {(p.candidate, p.session): p for p in schedule.placements}
        out: list[tuple[Any, int]] = [
            (present, int(cid not in schedule.unscheduled))
            for cid, present in self.present.items()
            if not isinstance(present, bool)
        ]
        for sv in self.sessions:
            p = placed.get(sv.key)
            if p is None:
                continue
            out.append((sv.start, p.start_slot))
            chosen = {seat.interviewer for seat in p.seats}
            out.extend((lit, int(pid in chosen)) for pid, (lit, _role) in sv.seats.items())
            out.extend((lit, int(rid == p.room)) for rid, lit in sv.rooms.items())
        return out

    def moved(self, placements: tuple[Placement, ...]) -> int:
        """Sessions of the schedule given to ``keep`` whose start, seats or room differ in ``placements``."""
        now = {(p.candidate, p.session): (p.start_slot, frozenset(p.seats), p.room) for p in placements}
        return sum(now.get(key) != before for key, before in self._previous.items())

    def keep(self, previous: Schedule) -> tuple[Any, int]:
        """Moved sessions w.r.t. ``previous``: a session stays when its start, every seat and its room stay."""
        m = self.model
        before = {(p.candidate, p.session): p for p in previous.placements}
        self._previous = {key: (p.start_slot, frozenset(p.seats), p.room) for key, p in before.items()}
        moved: list[Any] = []
        for sv in self.sessions:
            prev = before.get(sv.key)
            if prev is None:
                continue
            stay = m.new_bool_var(f"stay[{sv.key}]")
            wanted = [sv.seats.get(seat.interviewer) for seat in prev.seats]
            room_lit = sv.rooms.get(prev.room) if prev.room else True
            if any(w is None for w in wanted) or room_lit is None or not self._start_possible(sv, prev.start_slot):
                m.add(stay == 0)
            else:
                m.add(sv.start == prev.start_slot).only_enforce_if(stay)
                for w in wanted:
                    if w is not None:
                        m.add_implication(stay, w[0])
                if not isinstance(room_lit, bool):
                    m.add_implication(stay, room_lit)
            moved.append(1 - stay)
        return sum(moved), len(moved)

    def _start_possible(self, sv: SessionVars, slot: int) -> bool:
        return 0 <= slot < self.grid.n and bool(sv.domain[slot])
