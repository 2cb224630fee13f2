"""Why no schedule exists: a minimal set of conflicting constraint groups, in a recruiter's words.

The request is built with one assumption literal per relaxable group (``Formulation(explain=True)``).
CP-SAT's ``sufficient_assumptions_for_infeasibility`` gives a conflicting subset; deleting members one at
a time (keeping a deletion whenever the rest still conflicts) shrinks it to a *minimal* set: every group
in it is needed, so relaxing any single one of them allows a schedule. For each kind in the set the
request is solved again with those groups relaxed (everything else kept) to say which day that allows.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from pavedroad.scheduling.formulation import Formulation, GroupInfo
from pavedroad.scheduling.model import SchedulingRequest
from pavedroad.scheduling.result import ConflictMember, Explanation, Relaxation, SolveOptions

__all__ = ["explain", "minimal_conflict"]

_KIND_TEXT = {
    "availability": "the candidate's availability windows",
    "working_hours": "{subject}'s working hours",
    "calendar": "{subject}'s calendar (busy times)",
    "daily_load": "{subject}'s daily interview limit of {detail}",
    "weekly_load": "{subject}'s weekly interview limit of {detail}",
    "order": "the order: {subject}",
    "same_day": "all sessions on one day",
    "breaks": "the breaks between sessions",
    "trainee": "a trainee seat in {subject}",
    "room": "a room for {subject}",
}
_RELAX_TEXT = {
    "availability": "widening the candidate's availability",
    "working_hours": "interviewing outside the working hours of {who}",
    "calendar": "moving busy times of {who}",
    "daily_load": "relaxing the daily interview limit of {who}",
    "weekly_load": "relaxing the weekly interview limit of {who}",
    "order": "dropping the order {who}",
    "same_day": "spreading the onsite over several days",
    "breaks": "shortening the breaks",
    "trainee": "dropping the trainee seat in {who}",
    "room": "holding {who} without a room",
}


def _solve(form: Formulation, assumed: Iterable[str], seconds: float, *, optimise: bool = False) -> tuple[int, Any]:
    from ortools.sat.python import cp_model

    form.model.clear_assumptions()
    form.model.add_assumptions([form.literals[k] for k in assumed])
    if optimise:
        form.model.minimize(sum(form.finish.values()))
    else:
        form.model.clear_objective()  # type: ignore[no-untyped-call]
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    return int(solver.solve(form.model)), solver


def minimal_conflict(form: Formulation, budget_s: float = 5.0) -> tuple[list[str], bool] | None:
    """The keys of a minimal conflicting set of groups and whether minimality was proven in the budget;
    ``None`` when the request is feasible with every group imposed."""
    from ortools.sat.python import cp_model

    started = time.monotonic()
    keys = sorted(form.literals)
    status, solver = _solve(form, keys, budget_s)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    if status != cp_model.INFEASIBLE:
        return keys, False
    by_index = {form.literals[k].index: k for k in keys}
    core = sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index)
    proven = True
    for key in list(core):
        if key not in core:
            continue
        trial = [k for k in core if k != key]
        status, solver = _solve(form, trial, budget_s - (time.monotonic() - started))
        if status == cp_model.INFEASIBLE:
            smaller = {by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index}
            core = [k for k in trial if k in smaller] if smaller else trial
        elif status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven = False
    return core, proven


def _structural(request: SchedulingRequest) -> Explanation | None:
    """A conflict no group explains: a pool with too few people to fill a session's panel."""
    for cand in request.candidates:
        for s in cand.sessions:
            leads = [p for p in request.interviewers if request.stage(p, s.pool) == "lead"]
            if len(leads) < s.panel_size:
                pool = s.pool.replace("-", " ").replace("_", " ")
                text = f"{s.title} needs {s.panel_size} qualified {pool} interviewer(s); the request has {len(leads)}"
                return Explanation(
                    headline=f"not enough qualified {pool} interviewers for {s.title}",
                    conflict=(ConflictMember(kind="pool", subject=s.pool, text=text),),
                    relaxations=(),
                    minimal=True,
                )
    return None


def explain(request: SchedulingRequest, options: SolveOptions | None = None, budget_s: float = 5.0) -> Explanation:
    """Explain why ``request`` has no schedule (see the module docstring)."""
    from ortools.sat.python import cp_model

    del options
    structural = _structural(request)
    if structural is not None:
        return structural
    form = Formulation(request, explain=True)
    found = minimal_conflict(form, budget_s)
    if found is None:
        return Explanation(headline="a schedule exists", conflict=(), relaxations=(), minimal=True)
    core, proven = found
    members = [form.groups[k] for k in core]
    relaxations: list[Relaxation] = []
    for kind in dict.fromkeys(g.kind for g in members):
        of_kind = [g for g in members if g.kind == kind]
        keep = [k for k in form.literals if k not in {g.key for g in of_kind}]
        status, solver = _solve(form, keep, 1.0, optimise=True)
        earliest = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            earliest = _first_day(form, solver)
        relaxations.append(_relaxation(kind, of_kind, earliest))
    return Explanation(
        headline=_headline(request, members),
        conflict=tuple(ConflictMember(kind=g.kind, subject=g.subject, text=_text(g)) for g in members),
        relaxations=tuple(relaxations),
        minimal=proven,
    )


def _first_day(form: Formulation, solver: Any) -> date | None:
    placements, _ = form.read(solver.value)
    if not placements:
        return None
    cand = form.request.candidates[0]
    first = min(p.start for p in placements)
    return first.astimezone(ZoneInfo(cand.timezone)).date()


def _text(group: GroupInfo) -> str:
    return _KIND_TEXT[group.kind].format(subject=group.subject, detail=group.detail)


def _relaxation(kind: str, groups: list[GroupInfo], earliest: date | None) -> Relaxation:
    subjects = tuple(g.subject for g in groups)
    if kind in {"working_hours", "calendar", "daily_load", "weekly_load"}:
        who = subjects[0] if len(subjects) == 1 else f"{len(subjects)} people ({', '.join(subjects)})"
    else:
        who = ", ".join(subjects)
    action = _RELAX_TEXT[kind].format(who=who)
    outcome = f"would allow {earliest:%A %d %B}" if earliest else "alone would not be enough"
    return Relaxation(kind=kind, subjects=subjects, text=f"{action} {outcome}", earliest=earliest)


def _headline(request: SchedulingRequest, groups: list[GroupInfo]) -> str:
    kinds = {g.kind for g in groups}
    personal = {"working_hours", "calendar", "daily_load", "weekly_load"}
    if kinds <= personal | {"availability"} and kinds & personal:
        people = {g.subject for g in groups if g.kind in personal}
        pools = {
            s.pool
            for c in request.candidates
            for s in c.sessions
            if people <= {p.name for p in request.interviewers if request.stage(p, s.pool) is not None}
        }
        pool = " or ".join(sorted(x.replace("-", " ").replace("_", " ") for x in pools)) or "suitable"
        when = "on the candidate's available days" if "availability" in kinds else "in the scheduling horizon"
        return f"no qualified {pool} interviewer is free {when}"
    names = "; ".join(_text(g) for g in groups)
    return f"these constraints cannot all hold: {names}"
