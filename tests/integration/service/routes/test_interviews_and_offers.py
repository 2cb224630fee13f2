"""Interviews, scorecards and offers: scheduled with real participants, scored by those who took part,
offered one version at a time."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pavedroad.testing import TestDatabase
from tests.integration.service.world import Pipeline, new_application, outbox_types

pytestmark = pytest.mark.integration

WHEN = "2026-12-01T15:00:00Z"


@pytest.fixture
def application(as_role: Any, pipelines: dict[str, Pipeline]) -> int:
    created = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"]))
    return int(created.json()["application_id"])


@pytest.fixture
def interview(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> int:
    """An onsite interview of alpha's application with alpha's interviewer taking part."""
    body = {
        "stage_id": pipelines["alpha"].stages["Onsite"],
        "scheduled_at": WHEN,
        "participant_ids": [pipelines["alpha"].interviewer_id],
    }
    return int(
        as_role("alpha", "recruiter").post(f"/v1/applications/{application}/interviews", body).json()["interview_id"]
    )


def _interview(pipeline: Pipeline, **change: Any) -> dict[str, Any]:
    return {
        "stage_id": pipeline.stages["Onsite"],
        "scheduled_at": WHEN,
        "participant_ids": [pipeline.interviewer_id],
        **change,
    }


SCORE = {"recommendation": "yes", "overall_rating": 4, "notes": "Clear on trade-offs."}


def test_a_recruiter_schedules_an_interview(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    response = as_role("alpha", "recruiter").post(
        f"/v1/applications/{application}/interviews", _interview(pipelines["alpha"])
    )
    assert response.status_code == 201, response.text
    with psycopg.connect(database.owner_url) as conn:
        participants = conn.execute(
            "select user_id from interview_participants where interview_id = %s", (response.json()["interview_id"],)
        ).fetchall()
    assert participants == [(pipelines["alpha"].interviewer_id,)]
    assert outbox_types(database.owner_url, "alpha")[-1] == "interview_scheduled"


def test_a_participant_twice_is_400(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    user = pipelines["alpha"].interviewer_id
    body = _interview(pipelines["alpha"], participant_ids=[user, user])
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/interviews", body)
    assert response.status_code == 400
    assert "each once" in response.json()["message"]


def test_another_tenants_user_cannot_take_part(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    """beta's interviewer is not a user of alpha: 404, and no interview is made."""
    body = _interview(pipelines["alpha"], participant_ids=[pipelines["beta"].interviewer_id])
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/interviews", body)
    assert response.status_code == 404
    assert "participant_ids" in response.json()["message"]


def test_an_interview_in_a_stage_of_another_job_is_400(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    body = _interview(pipelines["alpha"], stage_id=pipelines["beta"].stages["Onsite"])
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/interviews", body)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"participant_ids": []}, "body.participant_ids"),
        ({"duration_minutes": 1}, "body.duration_minutes"),
        ({"scheduled_at": "tomorrow"}, "body.scheduled_at"),
    ],
)
def test_a_malformed_interview_is_422(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, change: dict[str, Any], field: str
) -> None:
    response = as_role("alpha", "recruiter").post(
        f"/v1/applications/{application}/interviews", _interview(pipelines["alpha"], **change)
    )
    assert response.status_code == 422
    assert field in {e["path"] for e in response.json()["errors"]}


def test_a_recruiter_cannot_schedule_for_another_tenants_application(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    body = _interview(pipelines["beta"])
    assert as_role("beta", "recruiter").post(f"/v1/applications/{application}/interviews", body).status_code == 404


def test_an_interviewer_cannot_schedule_interviews(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    body = _interview(pipelines["alpha"])
    assert as_role("alpha", "interviewer").post(f"/v1/applications/{application}/interviews", body).status_code == 403


def test_an_archived_application_gets_no_interviews(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    recruiter = as_role("alpha", "recruiter")
    recruiter.post(f"/v1/applications/{application}/archive", {"reason": "withdrew"})
    assert (
        recruiter.post(f"/v1/applications/{application}/interviews", _interview(pipelines["alpha"])).status_code == 409
    )


def test_a_participant_submits_a_scorecard_which_completes_the_interview(
    as_role: Any, interview: int, database: TestDatabase
) -> None:
    response = as_role("alpha", "interviewer").post(f"/v1/interviews/{interview}/scorecards", SCORE)
    assert response.status_code == 201, response.text
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select status from interviews where id = %s", (interview,)).fetchone() == ("completed",)
    assert outbox_types(database.owner_url, "alpha")[-1] == "scorecard_submitted"


def test_a_second_scorecard_by_the_same_user_is_409(as_role: Any, interview: int) -> None:
    interviewer = as_role("alpha", "interviewer")
    interviewer.post(f"/v1/interviews/{interview}/scorecards", SCORE)
    response = interviewer.post(f"/v1/interviews/{interview}/scorecards", SCORE)
    assert response.status_code == 409
    assert "already scored" in response.json()["message"]


def test_a_user_who_did_not_take_part_cannot_score(as_role: Any, interview: int) -> None:
    """The recruiter may write scorecards in general, but not for an interview they were not in: 403."""
    response = as_role("alpha", "recruiter").post(f"/v1/interviews/{interview}/scorecards", SCORE)
    assert response.status_code == 403
    assert "did not take part" in response.json()["message"]


def test_compliance_cannot_score(as_role: Any, interview: int) -> None:
    assert as_role("alpha", "compliance").post(f"/v1/interviews/{interview}/scorecards", SCORE).status_code == 403


def test_an_interviewer_cannot_score_another_tenants_interview(as_role: Any, interview: int) -> None:
    assert as_role("beta", "interviewer").post(f"/v1/interviews/{interview}/scorecards", SCORE).status_code == 404


def test_a_cancelled_interview_takes_no_scorecards(as_role: Any, interview: int, database: TestDatabase) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update interviews set status = 'cancelled' where id = %s", (interview,))
    response = as_role("alpha", "interviewer").post(f"/v1/interviews/{interview}/scorecards", SCORE)
    assert response.status_code == 409
    assert "cancelled" in response.json()["message"]


@pytest.mark.parametrize("change", [{"overall_rating": 6}, {"recommendation": "maybe"}, {"notes": "x" * 10_001}])
def test_a_malformed_scorecard_is_422(as_role: Any, interview: int, change: dict[str, Any]) -> None:
    response = as_role("alpha", "interviewer").post(f"/v1/interviews/{interview}/scorecards", {**SCORE, **change})
    assert response.status_code == 422


def test_an_offer_is_extended_then_accepted(as_role: Any, application: int, database: TestDatabase) -> None:
    recruiter = as_role("alpha", "recruiter")
    offered = recruiter.post(
        f"/v1/applications/{application}/offers", {"salary": "145000.00", "start_date": "2027-01-04"}
    )
    assert offered.status_code == 201, offered.text
    offer_id = offered.json()["offer_id"]
    resolved = recruiter.post(f"/v1/offers/{offer_id}/resolution", {"status": "accepted"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json() == {"status": "accepted"}
    with psycopg.connect(database.owner_url) as conn:
        row = conn.execute("select status, salary, currency, version from offers where id = %s", (offer_id,)).fetchone()
    assert row is not None
    assert (row[0], str(row[1]), row[2], row[3]) == ("accepted", "145000.00", "USD", 1)
    assert outbox_types(database.owner_url, "alpha")[-2:] == ["offer_extended", "offer_resolved"]


def test_an_outstanding_offer_blocks_a_second_until_resolved(
    as_role: Any, application: int, database: TestDatabase
) -> None:
    """While one offer is extended a second is 409; once declined, the next offer is version 2."""
    recruiter = as_role("alpha", "recruiter")
    first = recruiter.post(f"/v1/applications/{application}/offers", {"salary": "100000"}).json()["offer_id"]
    blocked = recruiter.post(f"/v1/applications/{application}/offers", {"salary": "110000"})
    assert blocked.status_code == 409
    assert "outstanding offer" in blocked.json()["message"]
    recruiter.post(f"/v1/offers/{first}/resolution", {"status": "declined"})
    second = recruiter.post(f"/v1/applications/{application}/offers", {"salary": "110000", "currency": "EUR"})
    assert second.status_code == 201
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select version from offers where id = %s", (second.json()["offer_id"],)).fetchone() == (2,)


def test_a_resolved_offer_cannot_be_resolved_again(as_role: Any, application: int) -> None:
    recruiter = as_role("alpha", "recruiter")
    offer = recruiter.post(f"/v1/applications/{application}/offers", {"salary": "100000"}).json()["offer_id"]
    recruiter.post(f"/v1/offers/{offer}/resolution", {"status": "rescinded"})
    response = recruiter.post(f"/v1/offers/{offer}/resolution", {"status": "accepted"})
    assert response.status_code == 409
    assert "is rescinded" in response.json()["message"]


@pytest.mark.parametrize(
    "body", [{"salary": "-1"}, {"salary": "1.001"}, {"salary": "10", "currency": "usd"}, {"salary": "x"}]
)
def test_a_malformed_offer_is_422(as_role: Any, application: int, body: dict[str, Any]) -> None:
    assert as_role("alpha", "recruiter").post(f"/v1/applications/{application}/offers", body).status_code == 422


def test_a_recruiter_cannot_offer_or_resolve_for_another_tenant(as_role: Any, application: int) -> None:
    offer = (
        as_role("alpha", "recruiter").post(f"/v1/applications/{application}/offers", {"salary": "1"}).json()["offer_id"]
    )
    beta = as_role("beta", "recruiter")
    assert beta.post(f"/v1/applications/{application}/offers", {"salary": "1"}).status_code == 404
    assert beta.post(f"/v1/offers/{offer}/resolution", {"status": "accepted"}).status_code == 404


def test_an_interviewer_cannot_offer_or_resolve(as_role: Any, application: int) -> None:
    offer = (
        as_role("alpha", "recruiter").post(f"/v1/applications/{application}/offers", {"salary": "1"}).json()["offer_id"]
    )
    interviewer = as_role("alpha", "interviewer")
    assert interviewer.post(f"/v1/applications/{application}/offers", {"salary": "1"}).status_code == 403
    assert interviewer.post(f"/v1/offers/{offer}/resolution", {"status": "accepted"}).status_code == 403


def test_an_unknown_offer_is_404(as_role: Any, application: int) -> None:
    response = as_role("alpha", "recruiter").post("/v1/offers/99999/resolution", {"status": "accepted"})
    assert response.status_code == 404
    assert "offer 99999" in response.json()["message"]


def test_the_documented_interview_length_is_the_one_accepted(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, client: Any
) -> None:
    """The API documents duration_minutes up to what the command accepts (480), so 481 is a 422 naming
    the field rather than a 400 for a value the schema said was valid."""
    schema = client.get("/openapi.json").json()["components"]["schemas"]["NewInterview"]
    assert schema["properties"]["duration_minutes"]["maximum"] == 480
    body = _interview(pipelines["alpha"], duration_minutes=481)
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/interviews", body)
    assert response.status_code == 422
    assert "body.duration_minutes" in {e["path"] for e in response.json()["errors"]}
