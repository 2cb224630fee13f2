"""Why no schedule exists: a minimal set of conflicting constraint groups, in a recruiter's words.

The request is built with one assumption literal per relaxable group (``Formulation(explain=True)``).
CP-SAT's ``sufficient_assumptions_for_infeasibility`` gives a conflicting subset; deleting members one at
a time (keeping a deletion whenever the rest still conflicts) shrinks it to a *minimal* set: every group
in it is needed, so relaxing any single one of them allows a schedule. For each kind in the set the
request is solved again with those groups relaxed (everything else kept) to name a day that would then
work: the greedy's first day when it finds a schedule (fast), else CP-SAT's earliest, else none.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from pavedroad.scheduling.formulation import Formulation, GroupInfo
from pavedroad.scheduling.greedy import greedy
from pavedroad.scheduling.grid import Grid, starts
from pavedroad.scheduling.model import Interval, SchedulingRequest, WorkingHours
from pavedroad.scheduling.result import ConflictMember, Explanation, Relaxation, Schedule, SolveOptions

__all__ = ["explain", "minimal_conflict", "relaxed"]

DEADLINE_S = 20.0  # wall time for shrinking a conflict; past it the conflict is returned unproven
WALL_GUARD_S = 30.0  # a solve that the deterministic budget has not stopped by then is abandoned
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


def _solve(form: Formulation, assumed: Iterable[str], budget: float, *, optimise: bool = False) -> tuple[int, Any]:
    """Solve under the assumptions ``assumed``; ``budget`` is in CP-SAT's deterministic seconds, so the
    answer (and so the explanation) does not depend on machine load; the wall clock only guards."""
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
    # Many small feasibility questions: probing, symmetry and LP set-up cost more than they save here.
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.symmetry_level = 0
    solver.parameters.linearization_level = 0 if not optimise else 1
    solver.parameters.max_deterministic_time = max(0.01, budget)
    solver.parameters.max_time_in_seconds = WALL_GUARD_S
    return int(solver.solve(form.model)), solver


def minimal_conflict(
    form: Formulation, budget: float = 5.0, deadline_s: float = DEADLINE_S
) -> tuple[list[str], bool] | None:
    """The keys of a minimal conflicting set of groups and whether minimality was proven (within
    ``budget`` deterministic seconds per solve, and ``deadline_s`` of wall time for the whole shrinking,
    which bounds the work a huge conflict can cause); ``None`` when the request is feasible with every
    group imposed."""
    import time

    from ortools.sat.python import cp_model

    started = time.monotonic()
    keys = sorted(form.literals)
    status, solver = _solve(form, keys, budget)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    if status != cp_model.INFEASIBLE:
        return keys, False
    by_index = {form.literals[k].index: k for k in keys}
    core = sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index)
    # Shrink on a model of the core alone: the other groups are dropped from the request, so their
    # constraints are not even built and every question below is small.
    small = Formulation(relaxed(form.request, set(keys) - set(core)), explain=True)
    proven = True
    for key in list(core):
        if key not in core:
            continue
        if time.monotonic() - started > deadline_s:
            return core, False
        trial = [k for k in core if k != key]
        status, solver = _solve(small, trial, budget)
        if status == cp_model.INFEASIBLE:
            index = {small.literals[k].index: k for k in trial}
            smaller = {index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in index}
            core = [k for k in trial if k in smaller] if smaller else trial
        elif status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven = False
    return core, proven


def _structural(request: SchedulingRequest) -> Explanation | None:
    """A conflict no group explains: a pool with too few people to fill a session's panel or trainee seat."""
    grid = Grid(request)
    for cand in request.candidates:
        free = grid.covered(cand.availability)
        for s in cand.sessions:
            if not starts(free, s.duration_slots).any():
                text = f"the candidate's availability has no window long enough for {s.title}"
                return Explanation(
                    headline=text,
                    conflict=(ConflictMember(kind="availability", subject=cand.id, text=text),),
                    relaxations=(),
                    minimal=True,
                )
            stages = [request.stage(p, s.pool) for p in request.interviewers]
            leads = stages.count("lead")
            trainees = len(stages) - leads - stages.count(None)
            pool = s.pool.replace("-", " ").replace("_", " ")
            if leads < s.panel_size:
                text = f"{s.title} needs {s.panel_size} qualified {pool} interviewer(s); the request has {leads}"
                headline = f"not enough qualified {pool} interviewers for {s.title}"
            elif trainees < s.trainee_seats:
                text = f"{s.title} has a trainee seat; the request has no {pool} trainee"
                headline = f"no {pool} trainee for the trainee seat in {s.title}"
            else:
                continue
            return Explanation(
                headline=headline,
                conflict=(ConflictMember(kind="pool", subject=s.pool, text=text),),
                relaxations=(),
                minimal=True,
            )
    return None


def relaxed(request: SchedulingRequest, keys: Iterable[str], *, widen: bool = False) -> SchedulingRequest:
    """``request`` with the groups ``keys`` dropped (and the candidates' availability widened to the
    whole horizon when ``widen``), written as an edit of the request itself."""
    keys = set(keys)
    people = tuple(
        p.model_copy(
            update={
                "busy": () if f"calendar:{p.id}" in keys else p.busy,
                "working_hours": WorkingHours(weekdays=tuple(range(7)), start=time(0), end=time(23, 59, 59))
                if f"working_hours:{p.id}" in keys
                else p.working_hours,
                "daily_limit": None if f"daily_load:{p.id}" in keys else p.daily_limit,
                "weekly_limit": None if f"weekly_load:{p.id}" in keys else p.weekly_limit,
            }
        )
        for p in request.interviewers
    )
    candidates = []
    for c in request.candidates:
        sessions = tuple(
            s.model_copy(
                update={
                    "trainee_seats": 0 if f"trainee:{c.id}.{s.id}" in keys else s.trainee_seats,
                    "needs_room": False if f"room:{c.id}.{s.id}" in keys else s.needs_room,
                }
            )
            for s in c.sessions
        )
        whole = (Interval(start=request.horizon_start, end=request.horizon_end),)
        candidates.append(
            c.model_copy(
                update={
                    "sessions": sessions,
                    "availability": whole if widen else c.availability,
                    "same_day": c.same_day and f"same_day:{c.id}" not in keys,
                    "break_slots": 0 if f"breaks:{c.id}" in keys else c.break_slots,
                    "order": tuple(o for o in c.order if f"order:{c.id}.{o.before}<{o.after}" not in keys),
                }
            )
        )
    return request.model_copy(update={"interviewers": people, "candidates": tuple(candidates)})


def explain(request: SchedulingRequest, options: SolveOptions | None = None, budget: float = 5.0) -> Explanation:
    """Explain why ``request`` has no schedule (see the module docstring).

    The candidate's availability is imposed while the conflict is searched (it keeps the model to the
    candidate's days); whether it belongs to the conflict is then decided by widening it to the whole
    horizon, with the conflict's other groups kept and everything else dropped."""
    from ortools.sat.python import cp_model

    from pavedroad.scheduling.solver import best

    options = (options or SolveOptions()).model_copy(update={"time_limit_s": 5.0})
    structural = _structural(request)
    if structural is not None:
        return structural
    form = Formulation(request, explain=True)
    found = minimal_conflict(form, budget)
    if found is None:
        return Explanation(headline="a schedule exists", conflict=(), relaxations=(), minimal=True)
    core, proven = found
    members = [form.groups[k] for k in core]
    relaxations: list[Relaxation] = []

    def works(changed: SchedulingRequest) -> Schedule:
        """A schedule for ``changed``: the greedy's when it finds one (fast), else CP-SAT's."""
        quick = greedy(changed)
        return quick if quick.placements else best(changed, options)

    widened = works(relaxed(request, (), widen=True))
    needed = widened.placements or works(relaxed(request, set(form.groups) - set(core), widen=True)).placements
    if needed:
        cid = request.candidates[0].id
        members.insert(0, GroupInfo(f"availability:{cid}", "availability", cid, cid))
        relaxations.append(_relaxation("availability", members[:1], _earliest(request, widened)))
    for kind in dict.fromkeys(g.kind for g in members if g.kind != "availability"):
        of_kind = [g for g in members if g.kind == kind]
        earliest = _earliest(request, greedy(relaxed(request, {g.key for g in of_kind})))
        if earliest is None:
            keep = [k for k in form.literals if k not in {g.key for g in of_kind}]
            status, solver = _solve(form, keep, 1.0, optimise=True)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                earliest = _first_day(form, solver)
        relaxations.append(_relaxation(kind, of_kind, earliest))
    return Explanation(
        headline=_headline(request, members),
        conflict=tuple(ConflictMember(kind=g.kind, subject=g.subject, text=_text(g)) for g in members),
        relaxations=tuple(relaxations),
        minimal=proven,
    )


def _earliest(request: SchedulingRequest, schedule: Schedule) -> date | None:
    if not schedule.placements:
        return None
    first = min(p.start for p in schedule.placements)
    return first.astimezone(ZoneInfo(request.candidates[0].timezone)).date()


def _first_day(form: Formulation, solver: Any) -> date | None:
    placements, _ = form.read(solver.value)
    return _earliest(form.request, Schedule(status="feasible", solver="cp-sat", placements=placements))


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
    if kinds == {"trainee"}:
        trainee_pools = " or ".join(sorted({(g.pool or "").replace("-", " ") for g in groups}))
        return f"no {trainee_pools} trainee can take the trainee seat when the panel can"
    names = "; ".join(_text(g) for g in groups)
    return f"these constraints cannot all hold: {names}"
