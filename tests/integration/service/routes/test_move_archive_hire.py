"""Moving, archiving and hiring an application: only active applications change, within their own job."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pavedroad.testing import TestDatabase
from tests.integration.service.world import Pipeline, new_application, outbox_types

pytestmark = pytest.mark.integration


@pytest.fixture
def application(as_role: Any, pipelines: dict[str, Pipeline]) -> int:
    """An active application of alpha, in the Review stage."""
    created = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"]))
    return int(created.json()["application_id"])


def _stage_and_status(owner_url: str, application_id: int) -> tuple[Any, ...]:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "select current_stage_id, status, archive_reason from applications where id = %s", (application_id,)
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_recruiter_moves_an_application_to_another_stage_of_its_job(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    onsite = pipelines["alpha"].stages["Onsite"]
    moved = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/moves", {"to_stage_id": onsite})
    assert moved.status_code == 201, moved.text
    assert isinstance(moved.json()["transition_id"], int)
    assert _stage_and_status(database.owner_url, application)[0] == onsite
    assert outbox_types(database.owner_url, "alpha")[-1] == "stage_moved"


def test_moving_to_the_current_stage_is_409(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    review = pipelines["alpha"].stages["Review"]
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/moves", {"to_stage_id": review})
    assert response.status_code == 409
    assert "already in stage" in response.json()["message"]


def test_a_stage_of_another_job_is_400(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    """beta's stage ids are not stages of alpha's job, even though the ids exist."""
    foreign = pipelines["beta"].stages["Onsite"]
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/moves", {"to_stage_id": foreign})
    assert response.status_code == 400
    assert "is not a stage of job 1" in response.json()["message"]


def test_a_recruiter_cannot_move_an_application_of_another_tenant(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    """beta sees a 404 for alpha's application id, and alpha's application stays where it was."""
    onsite = pipelines["beta"].stages["Onsite"]
    response = as_role("beta", "recruiter").post(f"/v1/applications/{application}/moves", {"to_stage_id": onsite})
    assert response.status_code == 404
    assert _stage_and_status(database.owner_url, application)[0] == pipelines["alpha"].stages["Review"]


def test_an_interviewer_cannot_move_an_application(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    onsite = pipelines["alpha"].stages["Onsite"]
    response = as_role("alpha", "interviewer").post(f"/v1/applications/{application}/moves", {"to_stage_id": onsite})
    assert response.status_code == 403


def test_moving_without_a_key_is_401(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    onsite = pipelines["alpha"].stages["Onsite"]
    assert (
        as_role("alpha", None).post(f"/v1/applications/{application}/moves", {"to_stage_id": onsite}).status_code == 401
    )


def test_a_move_time_without_a_time_zone_is_400(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    body = {"to_stage_id": pipelines["alpha"].stages["Onsite"], "at": "2026-01-01T10:00:00"}
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/moves", body)
    assert response.status_code == 400
    assert "time zone" in response.json()["message"]


def test_an_unknown_application_is_404(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    response = as_role("alpha", "recruiter").post("/v1/applications/424242/moves", {"to_stage_id": 1})
    assert response.status_code == 404
    assert "application 424242" in response.json()["message"]


def test_archiving_records_the_reason_and_stops_further_moves(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    recruiter = as_role("alpha", "recruiter")
    archived = recruiter.post(f"/v1/applications/{application}/archive", {"reason": "withdrew"})
    assert archived.status_code == 200, archived.text
    assert archived.json() == {"status": "archived"}
    assert _stage_and_status(database.owner_url, application)[1:] == ("archived", "withdrew")
    moved = recruiter.post(
        f"/v1/applications/{application}/moves", {"to_stage_id": pipelines["alpha"].stages["Onsite"]}
    )
    assert moved.status_code == 409
    assert "is archived" in moved.json()["message"]


def test_an_archived_application_cannot_be_archived_again(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    recruiter = as_role("alpha", "recruiter")
    recruiter.post(f"/v1/applications/{application}/archive", {"reason": "withdrew"})
    assert recruiter.post(f"/v1/applications/{application}/archive", {"reason": "other"}).status_code == 409


def test_an_unknown_archive_reason_is_422(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    response = as_role("alpha", "recruiter").post(f"/v1/applications/{application}/archive", {"reason": "bored"})
    assert response.status_code == 422
    assert "body.reason" in {e["path"] for e in response.json()["errors"]}


def test_a_recruiter_cannot_archive_an_application_of_another_tenant(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    response = as_role("beta", "admin").post(f"/v1/applications/{application}/archive", {"reason": "duplicate"})
    assert response.status_code == 404
    assert _stage_and_status(database.owner_url, application)[1] == "active"


def test_an_interviewer_cannot_archive(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    assert (
        as_role("alpha", "interviewer").post(f"/v1/applications/{application}/archive", {"reason": "other"}).status_code
        == 403
    )


def test_hiring_moves_the_application_to_the_hired_stage(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    """Hire without a body: the application is hired and moved to the job's `hired` stage, with both events."""
    hired = as_role("alpha", "hiring_manager").post(f"/v1/applications/{application}/hire")
    assert hired.status_code == 200, hired.text
    assert hired.json() == {"status": "hired"}
    assert _stage_and_status(database.owner_url, application)[:2] == (pipelines["alpha"].stages["Hired"], "hired")
    assert outbox_types(database.owner_url, "alpha")[-2:] == ["stage_moved", "application_hired"]


def test_hiring_from_the_hired_stage_does_not_move_again(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    recruiter = as_role("alpha", "recruiter")
    recruiter.post(f"/v1/applications/{application}/moves", {"to_stage_id": pipelines["alpha"].stages["Hired"]})
    assert recruiter.post(f"/v1/applications/{application}/hire", {"at": "2026-03-01T09:00:00Z"}).status_code == 200
    assert outbox_types(database.owner_url, "alpha")[-2:] == ["stage_moved", "application_hired"]


def test_a_hired_application_cannot_be_hired_or_archived(
    as_role: Any, pipelines: dict[str, Pipeline], application: int
) -> None:
    recruiter = as_role("alpha", "recruiter")
    recruiter.post(f"/v1/applications/{application}/hire")
    assert recruiter.post(f"/v1/applications/{application}/hire").status_code == 409
    assert recruiter.post(f"/v1/applications/{application}/archive", {"reason": "other"}).status_code == 409


def test_a_recruiter_cannot_hire_for_another_tenant(
    as_role: Any, pipelines: dict[str, Pipeline], application: int, database: TestDatabase
) -> None:
    assert as_role("beta", "recruiter").post(f"/v1/applications/{application}/hire").status_code == 404
    assert _stage_and_status(database.owner_url, application)[1] == "active"


def test_compliance_cannot_hire(as_role: Any, pipelines: dict[str, Pipeline], application: int) -> None:
    assert as_role("alpha", "compliance").post(f"/v1/applications/{application}/hire").status_code == 403
