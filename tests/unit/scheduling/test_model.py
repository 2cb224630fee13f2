"""Bad requests are refused with a 422 domain error that names the field and why."""

from __future__ import annotations

from typing import Any

import pytest

from pavedroad.errors import InvalidInput
from pavedroad.scheduling import SchedulingInputError, parse_request

from .test_explain import _request


@pytest.mark.parametrize(
    ("edit", "path", "why"),
    [
        (lambda d: d.update(horizon_start="2027-01-04T00:07:00+00:00"), "horizon_start", "15-minute boundary"),
        (lambda d: d.update(horizon_start="2027-01-04T00:00:00"), "horizon_start", "timezone"),
        (
            lambda d: d["interviewers"][0].update(timezone="Mars/Olympus"),
            "interviewers.0.timezone",
            "unknown time zone",
        ),
        (lambda d: d["interviewers"].append(dict(d["interviewers"][0])), "(request)", "appears twice"),
        (lambda d: d["candidates"][0].update(order=[{"before": "sd", "after": "sd"}]), "candidates.0", "cycle"),
        (
            lambda d: d["candidates"][0].update(order=[{"before": "sd", "after": "x"}]),
            "candidates.0",
            "unknown session",
        ),
        (lambda d: d["candidates"][0]["sessions"][0].update(duration_slots=0), "duration_slots", "greater than"),
        (
            lambda d: d["candidates"][0]["availability"][0].update(end="2027-01-04T08:00:00+00:00"),
            "availability",
            "after",
        ),
        (lambda d: d["candidates"][0]["sessions"][0].update(needs_room=True), "(request)", "no rooms"),
        (lambda d: d.update(interviewers=[d["interviewers"][0]] * 1001), "interviewers", "at most 1000"),
        (lambda d: d.update(surprise=1), "surprise", "Extra inputs"),
    ],
)
def test_a_bad_request_is_a_422_naming_the_field(edit: Any, path: str, why: str) -> None:
    data = _request(weekly_limit=1, busy_both_days=False)
    edit(data)
    with pytest.raises(SchedulingInputError) as caught:
        parse_request(data)
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert error.status == 422
    assert path in error.message
    assert why in error.message


def test_not_an_object_is_refused_too() -> None:
    with pytest.raises(SchedulingInputError, match="invalid scheduling request"):
        parse_request([1, 2, 3])
