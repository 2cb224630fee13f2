"""Infeasibility explanations: the conflict is sufficient (keeping only its constraints still admits no
schedule) and minimal (relaxing any one member admits one), checked by editing the request itself and
solving it again, not through the explanation's own assumption literals; and it reads as a recruiter
would say it."""

from __future__ import annotations

from datetime import time
from typing import Any

from hypothesis import HealthCheck, assume, given, settings

from pavedroad.scheduling import SchedulingRequest, parse_request, solve
from pavedroad.scheduling.explain import minimal_conflict
from pavedroad.scheduling.formulation import Formulation

from .strategies import tiny_requests


def relax(request: SchedulingRequest, keys: set[str]) -> SchedulingRequest:
    """``request`` with the constraint groups ``keys`` removed, by editing the request (the meaning of each key)."""
    data: dict[str, Any] = request.model_dump(mode="json")
    for p in data["interviewers"]:
        if f"calendar:{p['id']}" in keys:
            p["busy"] = []
        if f"working_hours:{p['id']}" in keys:
            p["working_hours"] = {"weekdays": list(range(7)), "start": "00:00", "end": str(time(23, 59, 59))}
        if f"daily_load:{p['id']}" in keys:
            p["daily_limit"] = None
        if f"weekly_load:{p['id']}" in keys:
            p["weekly_limit"] = None
    for c in data["candidates"]:
        cid = c["id"]
        if f"availability:{cid}" in keys:
            c["availability"] = [{"start": data["horizon_start"], "end": request.horizon_end.isoformat()}]
        if f"same_day:{cid}" in keys:
            c["same_day"] = False
        if f"breaks:{cid}" in keys:
            c["break_slots"] = 0
        c["order"] = [o for o in c["order"] if f"order:{cid}.{o['before']}<{o['after']}" not in keys]
        for s in c["sessions"]:
            if f"trainee:{cid}.{s['id']}" in keys:
                s["trainee_seats"] = 0
            if f"room:{cid}.{s['id']}" in keys:
                s["needs_room"] = False
    return parse_request(data)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(tiny_requests(candidates=1, booked=False, rooms=True))
def test_the_conflict_is_sufficient_and_minimal(data: dict[str, Any]) -> None:
    request = parse_request(data)
    form = Formulation(request, explain=True)
    found = minimal_conflict(form)
    assume(found is not None)
    assert found is not None
    core, proven = found
    assert proven
    everything = set(form.groups)
    assert solve(relax(request, everything - set(core))).status == "infeasible"
    for member in core:
        assert solve(relax(request, everything - set(core) | {member})).status in ("optimal", "feasible"), member


def _request(weekly_limit: int, busy_both_days: bool) -> dict[str, Any]:
    """One system-design session; its two qualified interviewers: Dana (weekly limit already reached by
    a booked interview) and Eve (busy on the candidate's days)."""
    eve_busy = [{"start": "2027-01-04T08:00:00+00:00", "end": "2027-01-04T17:00:00+00:00"}]
    if busy_both_days:
        eve_busy.append({"start": "2027-01-05T08:00:00+00:00", "end": "2027-01-05T17:00:00+00:00"})
    return {
        "horizon_start": "2027-01-04T00:00:00+00:00",
        "horizon_days": 5,
        "candidates": [
            {
                "id": "c1",
                "name": "Candidate",
                "sessions": [{"id": "sd", "title": "System design", "pool": "system-design", "duration_slots": 4}],
                "availability": [
                    {"start": "2027-01-04T09:00:00+00:00", "end": "2027-01-04T12:00:00+00:00"},
                    {"start": "2027-01-05T09:00:00+00:00", "end": "2027-01-05T12:00:00+00:00"},
                ],
            }
        ],
        "interviewers": [
            {
                "id": "dana",
                "name": "Dana",
                "pools": ["system-design"],
                "weekly_limit": weekly_limit,
                "busy": [{"start": "2027-01-07T10:00:00+00:00", "end": "2027-01-07T11:00:00+00:00", "interview": True}],
            },
            {"id": "eve", "name": "Eve", "pools": ["system-design"], "busy": eve_busy},
            {"id": "finn", "name": "Finn", "pools": ["coding"]},
        ],
    }


def test_an_explanation_reads_as_a_recruiter_would_say_it() -> None:
    schedule = solve(parse_request(_request(weekly_limit=1, busy_both_days=True)))
    assert schedule.status == "infeasible"
    explanation = schedule.explanation
    assert explanation is not None
    assert explanation.headline == "no qualified system design interviewer is free on the candidate's available days"
    assert {(m.kind, m.subject) for m in explanation.conflict} == {
        ("availability", "c1"),
        ("calendar", "Eve"),
        ("weekly_load", "Dana"),
    }
    texts = {r.kind: r.text for r in explanation.relaxations}
    assert texts["weekly_load"] == "relaxing the weekly interview limit of Dana would allow Monday 04 January"
    assert texts["calendar"] == "moving busy times of Eve would allow Monday 04 January"
    assert explanation.minimal


def test_a_feasible_request_is_scheduled_not_explained() -> None:
    schedule = solve(parse_request(_request(weekly_limit=2, busy_both_days=True)))
    assert schedule.status == "optimal"
    assert [s.interviewer for p in schedule.placements for s in p.seats] == ["dana"]


def test_a_pool_without_enough_people_is_named() -> None:
    data = _request(weekly_limit=2, busy_both_days=False)
    data["candidates"][0]["sessions"][0]["panel_size"] = 3
    explanation = solve(parse_request(data)).explanation
    assert explanation is not None
    assert explanation.headline == "not enough qualified system design interviewers for System design"
