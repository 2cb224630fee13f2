"""CP-SAT and greedy schedules keep every hard constraint (independent checker), CP-SAT is optimal on
tiny instances (brute force), never worse than the greedy on the first objective, and deterministic."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from pavedroad.scheduling import SolveOptions, greedy, parse_request, solve
from pavedroad.scheduling.generate import generate_request

from .checker import objectives, violations
from .strategies import brute_force, tiny_requests

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(tiny_requests(candidates=1) | tiny_requests(candidates=2))
def test_every_returned_schedule_keeps_every_hard_constraint(data: dict[str, Any]) -> None:
    request = parse_request(data)
    for schedule in (solve(request), greedy(request)):
        if schedule.status == "infeasible":
            continue
        assert violations(request, schedule.placements, schedule.unscheduled) == []
        assert schedule.objectives is not None
        reported = schedule.objectives
        assert objectives(request, schedule.placements, schedule.unscheduled) == (
            reported.unscheduled_sessions,
            reported.finish_slots,
            reported.load_cost,
            reported.new_interview_days,
        )


@FAST
@given(tiny_requests(candidates=1))
def test_cp_sat_is_optimal_against_brute_force(data: dict[str, Any]) -> None:
    request = parse_request(data)
    best = brute_force(request)
    schedule = solve(request)
    if best is None:
        assert schedule.status == "infeasible"
        assert schedule.explanation is not None
        return
    assert schedule.status == "optimal"
    assert objectives(request, schedule.placements) == best


@FAST
@given(tiny_requests(candidates=1) | tiny_requests(candidates=2))
def test_greedy_never_beats_cp_sat_on_the_first_objective(data: dict[str, Any]) -> None:
    request = parse_request(data)
    baseline, best = greedy(request), solve(request)
    assert baseline.objectives is not None
    if len(request.candidates) > 1:
        assert best.objectives is not None
        assert best.objectives.unscheduled_sessions <= baseline.objectives.unscheduled_sessions
    elif not baseline.unscheduled:
        assert best.objectives is not None
        assert best.objectives.finish_slots <= baseline.objectives.finish_slots


def test_the_same_request_and_seed_give_the_same_schedule() -> None:
    request = parse_request(generate_request(30, 1, seed=3))
    options = SolveOptions(seed=7)
    first, second = solve(request, options), solve(request, options)
    assert first.status in ("optimal", "infeasible")
    assert first.model_dump(exclude={"wall_ms"}) == second.model_dump(exclude={"wall_ms"})


def test_a_batch_is_scheduled_jointly_and_checked() -> None:
    request = parse_request(generate_request(40, 4, seed=1))
    schedule = solve(request, SolveOptions(time_limit_s=20))
    baseline = greedy(request)
    assert violations(request, schedule.placements, schedule.unscheduled) == []
    assert schedule.objectives is not None
    assert baseline.objectives is not None
    assert schedule.objectives.unscheduled_sessions <= baseline.objectives.unscheduled_sessions
