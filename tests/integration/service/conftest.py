"""Service fixtures: two small tenants with demo keys, and a TestClient running the app's lifespan."""

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

from .world import Caller, Pipeline, make_pipeline


def _seed_minimal(owner_url: str) -> None:
    with psycopg.connect(owner_url) as conn:
        for n, tenant in enumerate(("alpha", "beta"), start=1):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
            conn.execute("insert into departments (tenant_id, id, name) values (%s, %s, 'Eng')", (tenant, n))
            conn.execute(
                "insert into locations (tenant_id, id, name, country) values (%s, %s, 'Remote', 'US')", (tenant, n)
            )
            conn.execute(
                "insert into jobs (tenant_id, id, title, department_id, location_id) values (%s, %s, %s, %s, %s)",
                (tenant, n, f"{tenant} engineer", n, n),
            )


@pytest.fixture
def keys(database: TestDatabase, tmp_path: Path) -> dict[str, dict[str, str]]:
    _seed_minimal(database.owner_url)
    return ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha", "beta"])


@pytest.fixture
def client(database: TestDatabase, keys: dict[str, dict[str, str]]) -> Iterator[TestClient]:
    app = create_app(load_settings(), database.app_url)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def pipeline(database: TestDatabase, keys: dict[str, dict[str, str]]) -> dict[str, int]:
    """Job 1 of tenant alpha gets a three-stage plan and a source."""
    with psycopg.connect(database.owner_url) as conn:
        ids = [
            conn.execute(
                "insert into job_stages (tenant_id, job_id, position, name, stage_type)"
                " values ('alpha', 1, %s, %s, %s) returning id",
                (pos, name, kind),
            ).fetchone()[0]  # type: ignore[index]
            for pos, name, kind in [(1, "Review", "application_review"), (2, "Onsite", "onsite"), (3, "Offer", "offer")]
        ]
        conn.execute("insert into sources (tenant_id, id, name, kind) values ('alpha', 1, 'Referral', 'referral')")
    return {"review": ids[0], "onsite": ids[1], "offer": ids[2]}


@pytest.fixture
def pipelines(database: TestDatabase, keys: dict[str, dict[str, str]]) -> dict[str, Pipeline]:
    """Job 1 of alpha and job 2 of beta, each with Review → Onsite → Offer → Hired and a source."""
    with psycopg.connect(database.owner_url) as conn:
        return {"alpha": make_pipeline(conn, "alpha", 1), "beta": make_pipeline(conn, "beta", 2)}


@pytest.fixture
def as_role(client: TestClient, keys: dict[str, dict[str, str]]) -> Any:
    """``as_role("alpha", "recruiter")`` → a Caller; ``as_role("alpha", None)`` sends no key."""
    return lambda tenant, role: Caller(client, keys, tenant, role)
