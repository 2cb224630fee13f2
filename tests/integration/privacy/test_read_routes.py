"""The read routes apply the matrix and the relationship rules, and audit every read and denial."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant


@pytest.fixture
def env(database: TestDatabase, tmp_path: Path) -> Iterator[tuple[TestClient, World, dict[str, str]]]:
    world = seed_tenant(database.owner_url, "alpha", candidates=3)
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha"])["alpha"]
    with psycopg.connect(database.owner_url) as conn:  # the demo keys' users play the seeded roles
        for role, key_user in conn.execute("select role, min(id) from users where tenant_id = 'alpha' group by role"):
            world.users[role] = key_user
        conn.execute("delete from job_hiring_team where tenant_id = 'alpha'")
        conn.execute(
            "insert into job_hiring_team values ('alpha', %s, %s, 'hiring_manager')",
            (world.jobs["open"], world.users["hiring_manager"]),
        )
        conn.execute("delete from interview_participants where tenant_id = 'alpha'")
        conn.execute(
            "insert into interview_participants values ('alpha', %s, %s)",
            (world.interviews[0], world.users["interviewer"]),
        )
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        yield client, world, keys


def _get(env: tuple[TestClient, World, dict[str, str]], role: str, path: str) -> tuple[int, dict[str, Any]]:
    client, _, keys = env
    response = client.get(path, headers={"Authorization": f"Bearer {keys[role]}", "x-request-id": f"req-{role}"})
    return response.status_code, response.json()


def test_role_matrix_on_get_application(env: tuple[TestClient, World, dict[str, str]]) -> None:
    _, world, _ = env
    path = f"/v1/applications/{world.applications[0]}"  # candidate 0, open job, interviewed by our interviewer
    for role in ("admin", "recruiter", "hiring_manager", "interviewer"):
        status, body = _get(env, role, path)
        assert status == 200, role
        assert body["candidate_name"] == "AdaAlpha0x LovelaceAlpha0y"
    status, body = _get(env, "compliance", path)
    assert status == 200
    assert "candidate_name" not in body  # personal
    assert "archive_reason" not in body  # confidential
    assert body["status"] == "active"


def test_relationship_rules_hide_rows_as_not_found(env: tuple[TestClient, World, dict[str, str]]) -> None:
    _, world, _ = env
    other = f"/v1/applications/{world.applications[1]}"  # open job, not interviewed by our interviewer
    secret = f"/v1/applications/{world.applications[2]}"  # confidential job, hiring manager not on its team
    assert _get(env, "interviewer", other)[0] == 404
    assert _get(env, "hiring_manager", other)[0] == 200
    assert _get(env, "hiring_manager", secret)[0] == 404
    assert _get(env, "recruiter", secret)[0] == 404
    assert _get(env, "admin", secret)[0] == 200


def test_confidential_jobs_are_listed_only_for_their_team(env: tuple[TestClient, World, dict[str, str]]) -> None:
    _, world, _ = env
    assert [j["id"] for j in _get(env, "recruiter", "/v1/jobs")[1]["items"]] == [world.jobs["open"]]  # type: ignore[index]
    assert {j["id"] for j in _get(env, "admin", "/v1/jobs")[1]["items"]} == set(world.jobs.values())  # type: ignore[index]


def test_reads_and_denials_are_audited(env: tuple[TestClient, World, dict[str, str]], database: TestDatabase) -> None:
    _, world, _ = env
    _get(env, "compliance", f"/v1/applications/{world.applications[0]}")
    _get(env, "interviewer", f"/v1/applications/{world.applications[1]}")
    _get(env, "recruiter", "/v1/jobs")
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute(
            "select request_id, action, entity, outcome, field_classes, row_count from audit_events order by id"
        ).fetchall()
    assert rows == [
        ("req-compliance", "read", "applications", "ok", ["public", "internal"], 1),
        ("req-interviewer", "read", "applications", "denied", [], None),
        ("req-recruiter", "list", "jobs", "ok", ["public", "internal"], 1),
    ]
