"""Idempotency-Key on writes: a retry replays the first response; a bad or orphaned key is refused with why."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pavedroad.recruiting.commands import NewApplication
from pavedroad.service.idempotency import request_hash
from pavedroad.testing import TestDatabase

from .world import Pipeline, new_application, outbox_types

pytestmark = pytest.mark.integration


def test_a_retried_move_replays_its_transition_and_moves_once(
    as_role: Any, pipelines: dict[str, Pipeline], database: TestDatabase
) -> None:
    recruiter = as_role("alpha", "recruiter")
    app_id = recruiter.post("/v1/applications", new_application(pipelines["alpha"])).json()["application_id"]
    body = {"to_stage_id": pipelines["alpha"].stages["Onsite"]}
    first = recruiter.post(f"/v1/applications/{app_id}/moves", body, key="move-1")
    again = recruiter.post(f"/v1/applications/{app_id}/moves", body, key="move-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert outbox_types(database.owner_url, "alpha").count("stage_moved") == 1


def test_the_same_key_on_another_route_is_409(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    """The path is part of what makes two requests the same: one key cannot serve two different writes."""
    recruiter = as_role("alpha", "recruiter")
    app_id = recruiter.post("/v1/applications", new_application(pipelines["alpha"]), key="k").json()["application_id"]
    response = recruiter.post(f"/v1/applications/{app_id}/archive", {"reason": "other"}, key="k")
    assert response.status_code == 409


def test_keys_are_per_tenant(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    """beta using the key alpha used writes its own application; nothing of alpha's is replayed to beta."""
    alpha = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"]), key="shared")
    beta = as_role("beta", "recruiter").post("/v1/applications", new_application(pipelines["beta"]), key="shared")
    assert (alpha.status_code, beta.status_code) == (201, 201)
    assert "idempotent-replayed" not in beta.headers
    assert beta.json()["stage_id"] == pipelines["beta"].stages["Review"]


@pytest.mark.parametrize("key", ["", "tab\there"])
def test_an_empty_or_unprintable_key_is_400(as_role: Any, pipelines: dict[str, Pipeline], key: str) -> None:
    response = as_role("alpha", "recruiter").post("/v1/applications", new_application(pipelines["alpha"]), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


def test_a_key_longer_than_200_characters_is_422(as_role: Any, pipelines: dict[str, Pipeline]) -> None:
    response = as_role("alpha", "recruiter").post(
        "/v1/applications", new_application(pipelines["alpha"]), key="k" * 201
    )
    assert response.status_code == 422


def test_a_key_claimed_without_a_stored_response_is_never_replayed(
    as_role: Any, pipelines: dict[str, Pipeline], database: TestDatabase
) -> None:
    """A claim with no response (a write that stored none) is a 409, not a guessed replay."""
    body = new_application(pipelines["alpha"])
    with psycopg.connect(database.owner_url) as conn:
        recruiter = conn.execute("select id from users where tenant_id = 'alpha' and role = 'recruiter'").fetchone()
    assert recruiter is not None
    dumped = NewApplication.model_validate(body).model_dump(mode="json")
    digest = request_hash("POST", "/v1/applications", dumped, caller=f"{recruiter[0]}:recruiter")
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "insert into idempotency_keys (tenant_id, key, request_hash) values ('alpha', 'orphan', %s)", (digest,)
        )
    response = as_role("alpha", "recruiter").post("/v1/applications", body, key="orphan")
    assert response.status_code == 409
    assert "no stored response" in response.json()["message"]


def test_another_users_key_is_not_replayed_to_a_role_that_may_not_write(
    as_role: Any, pipelines: dict[str, Pipeline]
) -> None:
    """A key belongs to the caller who first used it: an interviewer sending a recruiter's key with the same
    body gets a 409, not the recruiter's stored 201 (a replay must not skip the role check)."""
    body = new_application(pipelines["alpha"])
    assert as_role("alpha", "recruiter").post("/v1/applications", body, key="theirs").status_code == 201
    response = as_role("alpha", "interviewer").post("/v1/applications", body, key="theirs")
    assert response.status_code == 409
    assert "idempotent-replayed" not in response.headers


# Writes that are not a tenant's data: platform operations (flags, canary; no tenant to hold the key) and
# the query endpoints, which only read. Workflow, automation and scheduling routes are not declared with
# the decorator yet: their blocks open their own transactions (they take the pool), so they take no key.
NOT_TENANT_WRITES = ("/v1/flags/", "/v1/canary/", "/v1/query", "/v1/workflows/", "/v1/automations", "/v1/scheduling/")


def test_every_tenant_write_route_is_an_idempotent_write() -> None:
    """Each route that writes a tenant's data is declared with ``service.writes.idempotent_write``: it takes
    ``Idempotency-Key`` and its pydantic body, so a new write route cannot forget retries."""
    from pavedroad.service.app import create_app
    from pavedroad.settings import Settings

    paths = create_app(Settings(), "postgresql://unused@localhost/none").openapi()["paths"]
    writes = [
        (method, path, op)
        for path, ops in paths.items()
        for method, op in ops.items()
        if method in {"post", "put", "patch", "delete"} and not path.startswith(NOT_TENANT_WRITES)
    ]
    assert len(writes) == 10
    for method, path, op in writes:
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], (method, path)
        assert "requestBody" in op, (method, path)
