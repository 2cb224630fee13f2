"""The service's query tools: ``POST /v1/query/explain`` and the query-shape log behind ``/v1/query``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.testing import TestDatabase

MARKER = "zq-marker-7f3a9c"  # a value that must never reach the shape log


@pytest.fixture
def service(
    database: TestDatabase, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], list[str]]]:
    report = seed(database.owner_url, applications=300, tenants=2, seed=5, progress=False)
    tenants = list(report.tenants)
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "update jobs set title = %s where tenant_id = %s and id = (select min(id) from jobs where tenant_id = %s)",
            (f"{MARKER}-title", tenants[0], tenants[0]),
        )
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", tenants)
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        yield client, keys, tenants


def _post(client: TestClient, path: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
    resp = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    return resp.status_code, resp.json()


def test_explain_route_shows_passes_sql_and_the_database_plan(service: Any) -> None:
    client, keys, tenants = service
    query = 'applications | where status = "active" | group job.department.name | aggregate n = count(interviews)'
    status, body = _post(client, "/v1/query/explain", keys[tenants[0]]["recruiter"], {"query": query, "analyze": True})
    assert status == 200, body
    assert body["passes"][0]["name"] == "parse"
    assert any(j["kind"] == "branch" and j["table"] == "interviews" for j in body["joins"])
    assert all(":tenant" in p for p in body["tenant_predicates"])
    assert body["db"]["analyzed"] is True
    assert sum(n["hot"] for n in body["db"]["nodes"]) == 1
    assert all(n["actual_rows"] is not None for n in body["db"]["nodes"])
    assert "SELECT" in body["sql"]


def test_explain_route_errors_are_structured(service: Any) -> None:
    client, keys, tenants = service
    status, body = _post(client, "/v1/query/explain", keys[tenants[0]]["admin"], {"query": "jobs | group titel"})
    assert status == 400
    assert body["code"] == "Q104"
    resp = client.post("/v1/query/explain", json={"query": "jobs"})
    assert resp.status_code == 401


def test_shape_log_records_shapes_and_never_literal_values(database: TestDatabase, service: Any) -> None:
    """The shape log never stores a literal value or a personal value, only the normalized shape."""
    client, keys, tenants = service
    key = keys[tenants[0]]["admin"]
    for q in (
        f'jobs | where title = "{MARKER}-title" | select id, title',
        f'jobs | where title = "{MARKER}-other" | select id, title',
        "candidates | select first_name, last_name, email | take 5",
    ):
        status, body = _post(client, "/v1/query", key, {"query": q})
        assert status == 200, body
    assert MARKER in str(
        _post(client, "/v1/query", key, {"query": f'jobs | where title = "{MARKER}-title" | select title'})[1]
    )
    emails = [
        r[2]
        for r in _post(
            client, "/v1/query", key, {"query": "candidates | select first_name, last_name, email | take 5"}
        )[1]["rows"]
    ]
    client.__exit__(None, None, None)  # shutdown flushes the buffer
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute(
            "select tenant_id, shape, sql, exec_us, row_count, t::text from query_shape_log t"
        ).fetchall()
    assert len(rows) == 5
    assert {r[0] for r in rows} == {tenants[0]}
    assert len({r[1] for r in rows}) == 3  # two literal values, one shape
    assert any("title = ?s" in r[1] for r in rows)
    for row in rows:
        assert MARKER not in row[5]
        assert not any(e and e in row[5] for e in emails)


def test_top_ranks_shapes_across_tenants_and_joins_pg_stat_statements(database: TestDatabase, service: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from pavedroad.querytools import top_shapes

    client, keys, tenants = service
    cheap = "jobs | aggregate n = count()"
    costly = 'applications | where status = "active" | group source.name | aggregate n = count(interviews)'
    # Admins: no row rule rewrites their query, so the shape maps to one pg_stat_statements entry.
    for tenant in tenants:
        for _ in range(3):
            assert _post(client, "/v1/query", keys[tenant]["admin"], {"query": cheap})[0] == 200
    assert _post(client, "/v1/query", keys[tenants[1]]["admin"], {"query": costly})[0] == 200
    client.__exit__(None, None, None)
    since = datetime.now(UTC) - timedelta(hours=1)
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        by_calls = top_shapes(conn, by="calls", since=since)
        only = top_shapes(conn, by="total", tenant=tenants[1], since=since)
    assert [r["shape"] for r in by_calls] == [cheap, costly.replace('"active"', "?s")]
    assert by_calls[0]["tenants"] == len(tenants)
    assert by_calls[0]["calls"] == 3 * len(tenants)
    assert by_calls[0]["role"] == "admin"
    assert by_calls[1]["explain"].startswith("pavedroad query explain 'applications | where status = $v1")
    assert f"--tenant {tenants[1]}" in by_calls[1]["explain"]
    assert by_calls[0]["pgss_calls"] is not None  # the database's own view of the same statement
    assert by_calls[0]["pgss_calls"] >= 3 * len(tenants)
    assert {r["shape"] for r in only} == {cheap, by_calls[1]["shape"]}
    assert all(r["p99_ms"] >= r["p50_ms"] for r in by_calls)
