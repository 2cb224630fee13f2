"""The service's logs never carry personal data: a real database error with a candidate's email in its
detail, raised inside a request, is logged by the service's error handler — redacted."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from pavedroad.observability import add_processor
from pavedroad.privacy.leakcheck import LogTap, find_leaks, harvest_personal_values
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant


@pytest.fixture
def tap() -> LogTap:
    tap = LogTap()
    add_processor(tap)
    return tap


@pytest.fixture
def client(database: TestDatabase, tmp_path: object) -> Iterator[tuple[TestClient, World, dict[str, str]]]:
    world = seed_tenant(database.owner_url, "alpha", candidates=2)
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha"])["alpha"]  # type: ignore[operator]
    app = create_app(load_settings(), database.app_url)

    @app.get("/test/duplicate-user")
    def duplicate(request: Request) -> None:  # a bug that surfaces a unique violation, values and all
        with psycopg.connect(database.owner_url) as conn:
            conn.execute(
                "insert into users (tenant_id, email, name, role) values ('alpha', %s, 'Grace Hopper', 'admin')",
                ("admin.alpha@staff.example",),
            )

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, world, keys


def test_unhandled_database_errors_are_logged_redacted(
    client: tuple[TestClient, World, dict[str, str]], tap: LogTap, database: TestDatabase
) -> None:
    c, _, _ = client
    response = c.get("/test/duplicate-user")
    assert response.status_code == 500
    assert "admin.alpha@staff.example" not in response.text
    lines = [line for line in tap.lines if "unhandled error" in line]
    assert lines, "the service logged the failure"
    assert "UniqueViolation" in lines[0]
    assert "admin.alpha@staff.example" not in lines[0]
    assert "[redacted" in lines[0]


def test_reads_log_no_personal_values(
    client: tuple[TestClient, World, dict[str, str]], tap: LogTap, database: TestDatabase
) -> None:
    c, world, keys = client
    for role in ("admin", "recruiter", "hiring_manager", "interviewer", "compliance"):
        c.get(f"/v1/applications/{world.applications[0]}", headers={"Authorization": f"Bearer {keys[role]}"})
        c.get("/v1/jobs", headers={"Authorization": f"Bearer {keys[role]}"})
    from pavedroad.cli.guard import stack_registry

    values = harvest_personal_values(database.owner_url, stack_registry())
    assert "ada.alpha.0@candidate.example" in values
    assert find_leaks(tap.lines, values) == []
