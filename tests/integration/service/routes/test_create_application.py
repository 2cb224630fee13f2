"""POST /v1/applications: a candidate applies to an open job; the application lands in the job's first stage."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pavedroad.testing import TestDatabase
from tests.integration.service.world import Pipeline, new_application, outbox_types

pytestmark = pytest.mark.integration


def test_a_recruiter_creates_an_application_in_the_first_stage(
    as_role: Any, pipelines: dict[str, Pipeline], database: TestDatabase
) -> None:
    """The response names the new candidate, application, first stage and transition; both events are appended."""
    created = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["stage_id"] == pipelines["alpha"].stages["Review"]
    assert {"candidate_id", "application_id", "transition_id"} <= body.keys()
    assert outbox_types(database.owner_url, "alpha") == ["candidate_created", "application_created"]


def test_an_existing_candidate_applies_by_id_without_a_second_candidate_row(
    as_role: Any, pipelines: dict[str, Pipeline], database: TestDatabase
) -> None:
    recruiter = as_role("alpha", "recruiter")
    first = recruiter.post("/v1/applications", new_application(pipelines["alpha"])).json()
    again = recruiter.post("/v1/applications", {"job_id": 1, "candidate_id": first["candidate_id"]})
    assert again.status_code == 201, again.text
    assert again.json()["candidate_id"] == first["candidate_id"]
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from candidates where tenant_id = 'alpha'").fetchone() == (1,)


@pytest.mark.parametrize("role", ["admin", "hiring_manager"])
def test_admins_and_hiring_managers_may_create_applications(
    as_role: Any, pipelines: dict[str, Pipeline], role: str
) -> None:
    assert as_role("alpha", role).post("/v1/applications", new_application(pipelines["alpha"])).status_code == 201


@pytest.mark.parametrize("role", ["interviewer", "compliance"])
def test_interviewers_and_compliance_may_not_create_applications(
    as_role: Any, pipelines: dict[str, Pipeline], role: str
) -> None:
    """A 403 that names the roles allowed to write."""
    response = as_role("alpha", role).post("/v1/applications", new_application(pipelines["alpha"]))
    assert response.status_code == 403
    assert f"role '{role}'" in response.json()["message"]
    assert "recruiter" in response.json()["hint"]


def test_without_a_key_the_write_is_401_and_nothing_is_written(
    as_role: Any, pipelines: dict[str, Pipeline], database: TestDatabase
) -> None:
    assert as_role("alpha", None).post("/v1/applications", new_application(pipelines["alpha"])).status_code == 401
    assert outbox_types(database.owner_url, "alpha") == []


def test_a_tenant_cannot_apply_to_another_tenants_job(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    """beta's recruiter naming alpha's job 1 gets a 404: alpha's job does not exist for beta."""
    response = as_role("beta", "recruiter").post(
        "/v1/applications", {**new_application(pipelines["alpha"]), "source_id": None}
    )
    assert response.status_code == 404
    assert "job 1" in response.json()["message"]


def test_a_tenant_cannot_reuse_another_tenants_candidate(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    alpha = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"])).json()
    response = as_role("beta", "recruiter").post(
        "/v1/applications", {"job_id": 2, "candidate_id": alpha["candidate_id"]}
    )
    assert response.status_code == 404
    assert "candidate" in response.json()["message"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"candidate": None}, id="neither candidate nor candidate_id"),
        pytest.param({"candidate_id": 1}, id="both candidate and candidate_id"),
    ],
)
def test_exactly_one_of_candidate_or_candidate_id_is_required(
    as_role: Any, pipelines: dict[str, Pipeline], change: dict[str, Any]
) -> None:
    response = as_role("alpha", "recruiter").post("/v1/applications", {**new_application(pipelines["alpha"]), **change})
    assert response.status_code == 400
    assert "exactly one of candidate or candidate_id" in response.json()["message"]


def test_an_unknown_source_is_404(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    body = {**new_application(pipelines["alpha"]), "source_id": 99}
    response = as_role("alpha", "recruiter").post("/v1/applications", body)
    assert response.status_code == 404
    assert "source 99" in response.json()["message"]


@pytest.mark.parametrize("status", ["closed", "draft"])
def test_a_job_that_is_not_open_takes_no_applications(
    as_role: Any, pipelines: dict[str, Pipeline], database: TestDatabase, status: str
) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update jobs set status = %s where tenant_id = 'alpha' and id = 1", (status,))
    response = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"]))
    assert response.status_code == 409
    assert f"is {status}" in response.json()["message"]


def test_a_job_without_stages_takes_no_applications(as_role: Any, keys: dict[str, dict[str, str]]) -> None:
    """Without the ``pipelines`` fixture alpha's job 1 has no stages: a 409 that says to add them."""
    body = {"job_id": 1, "candidate": {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"}}
    response = as_role("alpha", "recruiter").post("/v1/applications", body)
    assert response.status_code == 409
    assert "no stages" in response.json()["message"]


@pytest.mark.parametrize(
    ("candidate", "field"),
    [
        ({"first_name": "", "last_name": "B", "email": "a@b.co"}, "body.candidate.first_name"),
        ({"first_name": "A", "last_name": "B", "email": "not-an-email"}, "body.candidate.email"),
        ({"first_name": "A", "last_name": "B", "email": "a@b.co", "age": 40}, "body.candidate.age"),
    ],
)
def test_a_malformed_candidate_is_422_naming_the_field(
    as_role: Any, pipelines: dict[str, Pipeline], candidate: dict[str, Any], field: str
) -> None:
    body = {"job_id": 1, "candidate": candidate}
    response = as_role("alpha", "recruiter").post("/v1/applications", body)
    assert response.status_code == 422
    assert field in {e["path"] for e in response.json()["errors"]}
