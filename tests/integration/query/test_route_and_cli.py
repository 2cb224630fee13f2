"""``POST /v1/query`` and ``pavedroad query``: results for the caller's tenant, structured 4xx errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.query import Limits
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import get_settings, load_settings
from pavedroad.testing import TestDatabase


def _two_tenants(owner_url: str) -> None:
    with psycopg.connect(owner_url) as conn:
        for n, tenant in enumerate(("alpha", "beta"), start=1):
            conn.execute("insert into tenants (tenant_id, name, time_zone) values (%s, %s, 'Europe/Berlin')",
                         (tenant, tenant))  # fmt: skip
            conn.execute("insert into departments (tenant_id, id, name) values (%s, %s, 'Eng')", (tenant, n))
            conn.execute("insert into locations (tenant_id, id, name, country) values (%s, %s, 'Remote', 'US')",
                         (tenant, n))  # fmt: skip
            for j in range(n * 2):
                conn.execute(
                    "insert into jobs (tenant_id, title, department_id, location_id, openings)"
                    " values (%s, %s, %s, %s, %s)",
                    (tenant, f"{tenant} engineer {j}", n, n, j + 1),
                )


@pytest.fixture
def client(database: TestDatabase, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    _two_tenants(database.owner_url)
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha", "beta"])
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as c:
        yield c, keys


def _post(client: TestClient, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    resp = client.post("/v1/query", json=body, headers={"Authorization": f"Bearer {key}"})
    return resp.status_code, resp.json()


def test_text_query_returns_typed_columns_for_the_callers_tenant(client: tuple[TestClient, dict]) -> None:  # type: ignore[type-arg]
    c, keys = client
    status, body = _post(c, keys["beta"]["recruiter"], {"query": "jobs | aggregate n = count(), o = sum(openings)"})
    assert status == 200
    assert body["rows"] == [[4, 10]]
    assert [col["name"] for col in body["columns"]] == ["n", "o"]  # type: ignore[index]
    status, body = _post(c, keys["alpha"]["recruiter"], {"query": "jobs | aggregate n = count()"})
    assert body["rows"] == [[2]]


def test_json_query_and_params(client: tuple[TestClient, dict]) -> None:  # type: ignore[type-arg]
    c, keys = client
    q = {"from": "jobs", "steps": [{"where": {"op": ">=", "args": [{"field": "openings"}, {"param": "min"}]}},
                                   {"aggregate": [{"name": "n", "expr": {"call": "count", "args": []}}]}]}  # fmt: skip
    status, body = _post(c, keys["beta"]["admin"], {"query": q, "params": {"min": 3}})
    assert status == 200, body
    assert body["rows"] == [[2]]


def test_bad_query_is_a_400_with_span_and_suggestion(client: tuple[TestClient, dict]) -> None:  # type: ignore[type-arg]
    c, keys = client
    status, body = _post(c, keys["alpha"]["admin"], {"query": "jobs\n| group titel"})
    assert status == 400
    assert body["code"] == "Q104"
    assert "did you mean 'title'" in str(body["message"])
    assert body["span"] == {"start": 13, "end": 18, "line": 2, "column": 9}


def test_sensitive_field_reads_as_unknown(client: tuple[TestClient, dict]) -> None:  # type: ignore[type-arg]
    c, keys = client
    # Recruiters may not use EEOC answers even in aggregates (compliance may; see recruiting/reads.py ACCESS).
    query = {"query": "candidates | group eeoc.gender | aggregate n = count()"}
    status, body = _post(c, keys["alpha"]["recruiter"], query)
    assert status == 400
    assert body["code"] == "Q104"
    assert "gender" not in str(body["hint"])


def test_row_limit_is_a_422(client: tuple[TestClient, dict]) -> None:  # type: ignore[type-arg]
    c, keys = client
    status, body = _post(c, keys["alpha"]["admin"], {"query": "jobs | select id | take 1000000"})
    assert status == 422
    assert body["code"] == "Q404"


def test_a_list_without_take_is_answered_a_page_at_a_time(  # type: ignore[type-arg]
    client: tuple[TestClient, dict], database: TestDatabase
) -> None:
    """`/v1/query` never puts every row in one answer: a list gets the default page and a cursor."""
    c, keys = client
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "insert into jobs (tenant_id, title, department_id, location_id, openings)"
            " select 'alpha', 'job ' || n, 1, 1, 1 from generate_series(1, 150) n"
        )
    status, body = _post(c, keys["alpha"]["admin"], {"query": "jobs | select id, title"})
    assert status == 200, body
    assert len(body["rows"]) == Limits().default_page  # type: ignore[arg-type]
    assert body["next_cursor"]
    status, rest = _post(c, keys["alpha"]["admin"], {"query": "jobs | select id, title", "cursor": body["next_cursor"]})
    assert status == 200, rest
    assert len(rest["rows"]) == 152 - Limits().default_page  # type: ignore[arg-type]
    assert rest["next_cursor"] is None
    ids = [r[0] for r in body["rows"] + rest["rows"]]  # type: ignore[operator]
    assert ids == sorted(set(ids))


@pytest.fixture
def cli(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    _two_tenants(database.owner_url)
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_runs_a_query_on_both_targets(cli: CliRunner) -> None:
    for target in ("postgres", "duckdb"):
        result = cli.invoke(
            app, ["query", "run", "jobs | aggregate n = count(), o = sum(openings)", "--tenant", "beta", "--json",
                  "--target", target],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["rows"] == [[4, 10]]


def test_cli_prints_the_rendered_error(cli: CliRunner) -> None:
    result = cli.invoke(app, ["query", "run", "jobs\n| group titel", "--tenant", "alpha"])
    assert result.exit_code == 2
    assert "Q104 unknown field 'titel' on jobs; did you mean 'title'?" in result.stderr
    assert "^^^^^" in result.stderr
