"""Re-planning moves as few sessions as possible (one change that hits one session moves exactly that
session, although moving others could give an earlier schedule) and keeps every hard constraint."""

from __future__ import annotations

import pytest

from pavedroad.scheduling import Busy, Changes, Decline, SchedulingInputError, parse_request, replan, solve

from .checker import violations
from .test_explain import _request


def _three_sessions() -> dict:  # type: ignore[type-arg]
    data = _request(weekly_limit=5, busy_both_days=False)
    data["interviewers"][1]["busy"] = []
    data["candidates"][0]["sessions"] = [
        {"id": f"s{i}", "title": f"Session {i}", "pool": "system-design", "duration_slots": 2} for i in range(3)
    ]
    data["candidates"][0]["same_day"] = True
    return data


def test_a_new_busy_time_moves_only_the_session_it_hits() -> None:
    request = parse_request(_three_sessions())
    before = solve(request)
    assert before.status == "optimal"
    hit = before.placements[1]
    person = hit.seats[0].interviewer
    changes = Changes(busy={person: (Busy(start=hit.start, end=hit.end),)})
    after = replan(request, before, changes)
    assert after.objectives is not None
    assert after.objectives.moved_sessions == 1
    assert (
        violations(
            request.model_copy(
                update={
                    "interviewers": tuple(
                        p.model_copy(update={"busy": (*p.busy, *changes.busy.get(p.id, ()))})
                        for p in request.interviewers
                    )
                }
            ),
            after.placements,
        )
        == []
    )
    kept = {(p.session, p.start, p.seats) for p in after.placements}
    assert {(p.session, p.start, p.seats) for p in before.placements} - kept == {(hit.session, hit.start, hit.seats)}


def test_a_declined_invite_changes_that_seat_and_nothing_else() -> None:
    request = parse_request(_three_sessions())
    before = solve(request)
    target = before.placements[0]
    decline = Decline(candidate="c1", session=target.session, interviewer=target.seats[0].interviewer)
    after = replan(request, before, Changes(declined=(decline,)))
    assert after.objectives is not None
    assert after.objectives.moved_sessions == 1
    moved = next(p for p in after.placements if p.session == target.session)
    assert decline.interviewer not in {s.interviewer for s in moved.seats}
    assert violations(request, after.placements) == []


def test_changes_naming_an_unknown_interviewer_are_refused() -> None:
    request = parse_request(_three_sessions())
    with pytest.raises(SchedulingInputError, match="unknown interviewer"):
        replan(request, solve(request), Changes(busy={"nobody": ()}))
