"""GET /v1/jobs and GET /v1/applications/{id}: pages of visible jobs, one visible application."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pavedroad.testing import TestDatabase
from tests.integration.service.world import Pipeline, new_application

pytestmark = pytest.mark.integration


@pytest.fixture
def five_jobs(database: TestDatabase, keys: dict[str, dict[str, str]]) -> None:
    """alpha gets jobs 11..14 besides job 1: 12 closed, 13 draft, 14 confidential (no hiring team)."""
    with psycopg.connect(database.owner_url) as conn:
        for job_id, status, confidential in [
            (11, "open", False),
            (12, "closed", False),
            (13, "draft", False),
            (14, "open", True),
        ]:
            conn.execute(
                "insert into jobs (tenant_id, id, title, department_id, location_id, status, confidential)"
                " values ('alpha', %s, %s, 1, 1, %s, %s)",
                (job_id, f"job {job_id}", status, confidential),
            )


def _ids(page: dict[str, Any]) -> list[int]:
    return [job["id"] for job in page["items"]]


def test_pages_follow_the_cursor_until_the_last_one(as_role: Any, five_jobs: None) -> None:
    """limit=2 walks every job an admin may see exactly once, in id order; the last page has no cursor."""
    admin, seen, cursor = as_role("alpha", "admin"), [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/v1/jobs", **params).json()
        seen += _ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [1, 11, 12, 13, 14]
    assert cursor is None


@pytest.mark.parametrize(("status", "expected"), [("open", [1, 11, 14]), ("closed", [12]), ("draft", [13])])
def test_the_status_filter_keeps_only_jobs_in_that_status(
    as_role: Any, five_jobs: None, status: str, expected: list[int]
) -> None:
    assert _ids(as_role("alpha", "admin").get("/v1/jobs", status=status).json()) == expected


def test_a_confidential_job_is_listed_for_admins_only_when_nobody_is_on_its_team(as_role: Any, five_jobs: None) -> None:
    assert 14 in _ids(as_role("alpha", "admin").get("/v1/jobs").json())
    assert 14 not in _ids(as_role("alpha", "recruiter").get("/v1/jobs").json())


def test_a_recruiter_on_the_hiring_team_sees_the_confidential_job(
    as_role: Any, five_jobs: None, database: TestDatabase
) -> None:
    with psycopg.connect(database.owner_url) as conn:
        user = conn.execute("select id from users where tenant_id = 'alpha' and role = 'recruiter'").fetchone()
        assert user is not None
        conn.execute(
            "insert into job_hiring_team (tenant_id, job_id, user_id, team_role) values ('alpha', 14, %s, 'recruiter')",
            (user[0],),
        )
    assert 14 in _ids(as_role("alpha", "recruiter").get("/v1/jobs").json())


def test_listing_jobs_without_a_key_is_401(as_role: Any) -> None:
    assert as_role("alpha", None).get("/v1/jobs").status_code == 401


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"cursor": "x" * 513}])
def test_out_of_range_paging_parameters_are_422(as_role: Any, params: dict[str, Any]) -> None:
    assert as_role("alpha", "admin").get("/v1/jobs", **params).status_code == 422


def test_a_cursor_that_decodes_to_something_else_is_400(as_role: Any) -> None:
    """Valid base64 of JSON that is not a list of one id is refused as an invalid cursor, not a 500."""
    response = as_role("alpha", "admin").get("/v1/jobs", cursor="eyJhIjoxfQ")  # {"a":1}
    assert response.status_code == 400
    assert "cursor" in response.json()["message"]


def test_an_admin_reads_an_application_with_its_stage_and_candidate(
    as_role: Any, pipelines: dict[str, Pipeline]
) -> None:
    created = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"])).json()
    got = as_role("alpha", "admin").get(f"/v1/applications/{created['application_id']}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["current_stage"], body["source"], body["candidate_name"]) == ("Review", "Referral", "Ada Byron")


def test_reading_an_application_of_another_tenant_is_404(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    created = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"])).json()
    response = as_role("beta", "admin").get(f"/v1/applications/{created['application_id']}")
    assert response.status_code == 404
    assert response.json()["hint"] == "check the id; ids are per tenant"


def test_an_interviewer_reads_an_application_only_once_they_interview_for_it(
    as_role: Any, pipelines: dict[str, Pipeline]
) -> None:
    alpha = pipelines["alpha"]
    app_id = as_role("alpha", "recruiter").post("/v1/applications", new_application(alpha)).json()["application_id"]
    interviewer = as_role("alpha", "interviewer")
    assert interviewer.get(f"/v1/applications/{app_id}").status_code == 404
    body = {
        "stage_id": alpha.stages["Onsite"],
        "scheduled_at": "2026-12-01T15:00:00Z",
        "participant_ids": [alpha.interviewer_id],
    }
    as_role("alpha", "recruiter").post(f"/v1/applications/{app_id}/interviews", body)
    assert interviewer.get(f"/v1/applications/{app_id}").status_code == 200


def test_reading_an_application_without_a_key_is_401(as_role: Any) -> None:
    assert as_role("alpha", None).get("/v1/applications/1").status_code == 401


@pytest.mark.parametrize("application_id", ["0", "x", str(2**62 + 1)])
def test_an_application_id_out_of_range_is_422(as_role: Any, application_id: str) -> None:
    assert as_role("alpha", "admin").get(f"/v1/applications/{application_id}").status_code == 422
