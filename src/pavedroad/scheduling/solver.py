"""Solve a request with CP-SAT, objectives in lexicographic order; explain when nothing fits.

Levels (each minimised, then frozen at its value while the next is minimised, with the previous
solution as a hint): moved sessions (re-planning only), unscheduled sessions (batch only), finish time,
load cost, new interview days — see ``Objectives``. The search is single-threaded by default with a
fixed seed and a deterministic budget, so the same request and options give the same schedule. When the
wall-clock limit stops a level the best schedule found so far is kept and ``gap`` reports how far its
value may be from the proven bound. When CP-SAT finds nothing in time, the greedy's schedule is returned
(``solver="greedy"``); when the request is infeasible, ``explain`` says why.
"""

from __future__ import annotations

import time
from typing import Any

from pavedroad.errors import InternalError
from pavedroad.scheduling.formulation import Formulation
from pavedroad.scheduling.greedy import greedy, measure
from pavedroad.scheduling.grid import Grid
from pavedroad.scheduling.model import SchedulingRequest
from pavedroad.scheduling.result import Schedule, SolveOptions

__all__ = ["best", "lexicographic", "solve"]

LEVELS = ("unscheduled_sessions", "finish_slots", "load_cost", "new_interview_days")


def _solver(options: SolveOptions, seconds: float, *, large: bool = False) -> Any:
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    if large:  # a batch: probing and symmetry detection cost seconds of presolve for little
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.max_deterministic_time = options.deterministic_limit
    return solver


MAX_WEIGHT = 2**40  # weighted stages stay well inside CP-SAT's exact integer range


def stages(terms: dict[str, tuple[Any, int]]) -> list[list[tuple[str, Any, int]]]:
    """Consecutive levels merged into weighted sums while exact: a level weighs more than the whole
    range of the levels below it in its stage, so minimising the sum is minimising them in order.
    Constant levels (no variable) are dropped."""
    out: list[list[tuple[str, Any, int]]] = []
    span = MAX_WEIGHT + 1
    for name, (expr, bound) in reversed(terms.items()):
        if isinstance(expr, int):
            continue
        if out and span * (bound + 1) <= MAX_WEIGHT:
            out[0].insert(0, (name, expr, bound))
            span *= bound + 1
        else:
            out.insert(0, [(name, expr, bound)])
            span = bound + 1
    return out


def _weighted(stage: list[tuple[str, Any, int]]) -> Any:
    total: Any = 0
    weight = 1
    for _name, expr, bound in reversed(stage):
        total = total + weight * expr
        weight *= bound + 1
    return total


def lexicographic(
    form: Formulation, options: SolveOptions, extra: dict[str, tuple[Any, int]] | None = None
) -> Schedule | None:
    """Minimise ``extra`` levels (first) then the standard levels, in order; ``None`` when no solution
    was found (``form.status`` says whether it is infeasible or out of time)."""
    from ortools.sat.python import cp_model

    started = time.monotonic()
    terms = {**(extra or {}), **form.objective_terms()}
    gap = 0.0
    proven = True
    found: Any = None
    form.status = "unknown"
    plan = stages(terms)
    for k, stage in enumerate(plan):
        # the time left is shared by the stages left (the first one gets more only if it needs it)
        remaining = (options.time_limit_s - (time.monotonic() - started)) / (1 if found is None else len(plan) - k)
        objective = _weighted(stage)
        if found is not None and remaining <= 0:
            proven = False
            break
        form.model.minimize(objective)
        solver = _solver(options, remaining, large=form.batch)
        status = solver.solve(form.model)
        if status == cp_model.MODEL_INVALID:
            raise InternalError(f"the scheduling model is invalid: {form.model.validate()}")
        if status == cp_model.INFEASIBLE:
            form.status = "infeasible"
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if found is None:
                return None
            proven = False
            break
        value = round(solver.objective_value)
        if status == cp_model.FEASIBLE and proven:
            proven = False
            gap = (value - solver.best_objective_bound) / max(1.0, abs(value))
        form.model.add(objective <= value)
        found = solver
        _hint(form, solver)
    form.status = "optimal" if proven else "feasible"
    placements, unscheduled = form.read(found.value)
    schedule = Schedule(status="feasible", solver="cp-sat", placements=placements, unscheduled=unscheduled)
    # Objective values are measured on the placements: a level the time limit cut short leaves its
    # auxiliary variables wherever the search left them, so their values would not say what it costs.
    objectives = measure(form.request, form.grid, schedule)
    if extra and "moved_sessions" in extra:
        objectives = objectives.model_copy(update={"moved_sessions": form.moved(placements)})
    return Schedule(
        status="optimal" if proven else "feasible",
        solver="cp-sat",
        placements=placements,
        unscheduled=unscheduled,
        objectives=objectives,
        gap=round(gap, 6),
        wall_ms=round((time.monotonic() - started) * 1000, 3),
    )


def _hint(form: Formulation, solver: Any) -> None:
    """Start the next level from this solution (it stays feasible: the level just solved is frozen)."""
    model = form.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    solution = solver.response_proto.solution
    for i in range(len(model.proto.variables)):
        model.add_hint(model.get_int_var_from_proto_index(i), int(solution[i]))


def _windows(request: SchedulingRequest, grid: Grid, bound: Schedule) -> list[tuple[int, int]]:
    """Slot windows to try in order for a single candidate: each available day alone (same-day onsites)
    or the horizon up to the end of each available day. The first window with a schedule holds every
    schedule with the earliest finish, so the later levels lose nothing by staying inside it; windows
    starting after the greedy's finish cannot beat it and are not tried."""
    cand = request.candidates[0]
    avail = grid.covered(cand.availability)
    limit = max((p.start_slot + p.duration_slots for p in bound.placements), default=grid.n)
    days = [(lo, hi) for lo, hi in grid.days(cand.timezone).ranges if avail[lo : hi + 1].any() and lo < limit]
    return days if cand.same_day else [(0, hi) for _lo, hi in days]


def solve(request: SchedulingRequest, options: SolveOptions | None = None) -> Schedule:
    """The best schedule for ``request`` (see the module docstring), or an ``infeasible`` answer that
    carries an explanation."""
    from pavedroad.scheduling.explain import explain

    options = options or SolveOptions()
    started = time.monotonic()
    schedule = best(request, options)
    if schedule.status == "infeasible":
        schedule = schedule.model_copy(update={"explanation": explain(request, options)})
    return schedule.model_copy(update={"wall_ms": _ms(started)})


def best(request: SchedulingRequest, options: SolveOptions) -> Schedule:
    """``solve`` without the explanation.

    A single candidate is solved one window at a time (see ``_windows``), which keeps each model to the
    slots that can hold the earliest schedule; a batch is solved as one model, started from the greedy's
    schedule."""
    started = time.monotonic()
    grid = Grid(request)
    baseline = greedy(request, grid)
    if len(request.candidates) == 1:
        status = "infeasible"
        for window in _windows(request, grid, baseline):
            remaining = options.time_limit_s - (time.monotonic() - started)
            if remaining <= 0:
                status = "unknown"
                break
            form = Formulation(request, grid, window=window)
            if form.empty:
                continue
            schedule = lexicographic(form, options.model_copy(update={"time_limit_s": remaining}))
            if schedule is not None:
                return schedule
            if form.status != "infeasible":
                status = "unknown"
                break
    else:
        form = Formulation(request, grid)
        form.hint(baseline, seconds=max(1.0, options.time_limit_s / 4))
        schedule = lexicographic(form, options)
        if schedule is not None:
            return schedule
        status = form.status
    if status == "infeasible":
        return Schedule(status="infeasible", solver="cp-sat", placements=())
    if baseline.placements:
        return baseline
    return Schedule(status="unknown", solver="cp-sat", placements=())


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
