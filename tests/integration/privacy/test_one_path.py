"""One enforcement path for every caller: the CLI, the Python API and the HTTP API return the same rows
for the same principal (field access, row rules, suppression, audit), explain describes only what the
caller may read, and errors point into what the caller wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.query import run
from pavedroad.query.warehouse_copy import copy_tables
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import GUARDRAILS
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import get_settings, load_settings
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase
from tests.integration.query.conftest import clickhouse_tables

from .seed import World, seed_tenant


@pytest.fixture
def world(database: TestDatabase) -> World:
    """Alpha's interviewer interviews every candidate but the first (and beta's data is next door)."""
    seed_tenant(database.owner_url, "beta", candidates=4)
    world = seed_tenant(database.owner_url, "alpha", candidates=6)
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "delete from interview_participants where tenant_id = 'alpha' and user_id = %s and interview_id = %s",
            (world.users["interviewer"], world.interviews[0]),
        )
    return world


@pytest.fixture
def api(database: TestDatabase, world: World, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha"])["alpha"]
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        yield client, keys


@pytest.fixture
def cli(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _post(client: TestClient, key: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    resp = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    return resp.status_code, resp.json()


def _cli(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["query", *args])


def _audited(owner_url: str, role: str) -> list[tuple[str, str]]:
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "select entity, outcome from audit_events where tenant_id = 'alpha' and actor_role = %s order by id",
            (role,),
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


QUERIES = (
    "candidates | select id, first_name | sort id",
    "applications | select id, job_id | sort id",
    "scorecards | select id | sort id",
)


def test_cli_role_returns_exactly_what_the_api_returns(
    api: tuple[TestClient, dict[str, str]], cli: CliRunner, world: World, database: TestDatabase
) -> None:
    """``pavedroad query run --role interviewer`` is the interviewer's ``/v1/query``, audit included."""
    client, keys = api
    user = str(world.users["interviewer"])
    for query in QUERIES:
        status, body = _post(client, keys["interviewer"], "/v1/query", {"query": query})
        assert status == 200, body
        result = _cli(cli, "run", query, "--tenant", "alpha", "--role", "interviewer", "--user", user, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == body
    candidates = json.loads(
        _cli(cli, "run", QUERIES[0], "--tenant", "alpha", "--role", "interviewer", "--user", user, "--json").stdout
    )
    assert [r[0] for r in candidates["rows"]] == world.candidates[1:]  # not the one they do not interview
    refused = _cli(cli, "run", "offers | select salary", "--tenant", "alpha", "--role", "interviewer", "--user", user)
    assert refused.exit_code == 2
    assert "Q104 unknown field 'salary'" in refused.stderr
    assert _audited(database.owner_url, "interviewer") == [
        *[(q.split(" ")[0], "ok") for q in QUERIES for _ in (0, 1)],
        ("candidates", "ok"),
        ("offers", "denied"),
    ]


def test_cli_role_without_a_user_sees_no_granted_rows(cli: CliRunner, world: World) -> None:
    """A role whose rows are granted per user sees none without a user: fail closed, never everything."""
    result = _cli(cli, "run", QUERIES[0], "--tenant", "alpha", "--role", "interviewer", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == []


def test_cli_as_owner_runs_unrestricted_and_says_so(cli: CliRunner, world: World) -> None:
    result = _cli(cli, "run", QUERIES[0], "--tenant", "alpha", "--as-owner", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["unrestricted"] is True
    assert [r[0] for r in body["rows"]] == world.candidates
    table = _cli(cli, "run", "offers | select salary", "--tenant", "alpha", "--as-owner")
    assert table.exit_code == 0, table.output
    assert "ran unrestricted" in table.stdout


def test_cli_as_owner_is_refused_without_the_owner_url(database: TestDatabase, world: World) -> None:
    """A process holding only the application role's URL cannot ask for owner access."""
    from pavedroad.cli.query import require_owner
    from pavedroad.errors import Forbidden

    require_owner(database.owner_url)
    with pytest.raises(Forbidden, match="--as-owner needs the owner database URL"):
        require_owner(database.app_url)


def test_python_run_with_a_principal_applies_row_rules_on_every_engine(database: TestDatabase, world: World) -> None:
    """``query.run`` with a principal goes through the guard on Postgres, DuckDB (``duckdb=``) and
    ClickHouse (``clickhouse=``): rules, suppression, audit."""
    interviewer = Principal("alpha", world.users["interviewer"], Role.INTERVIEWER)
    compliance = Principal("alpha", world.users["compliance"], Role.COMPLIANCE)
    model = recruiting_model()
    with psycopg.connect(database.owner_url) as conn:
        duck = copy_tables(conn, model)  # every tenant's rows: the compiler's scoping keeps alpha's
    clickhouse = clickhouse_tables(duck)
    engines = {"duckdb": lambda pool, p, q: run(pool, p, q, model=model, guard=GUARDRAILS, duckdb=duck)}
    if clickhouse is not None:
        engines["clickhouse"] = lambda pool, p, q: run(pool, p, q, model=model, guard=GUARDRAILS, clickhouse=clickhouse)
    try:
        with ConnectionPool(database.app_url, min_size=1, max_size=2) as pool:
            pg = run(pool, interviewer, QUERIES[0], model=model, guard=GUARDRAILS)
            assert [r[0] for r in pg.rows] == world.candidates[1:]
            grouped = "candidates | group eeoc.gender | aggregate n = count()"
            pg_grouped = run(pool, compliance, grouped, model=model, guard=GUARDRAILS).to_dict()
            assert pg_grouped["suppressed"] == [True, True, True]
            for name, on in engines.items():
                listed = on(pool, interviewer, QUERIES[0])
                assert listed.compiled.dialect == name  # it ran there, not on Postgres
                assert [r[0] for r in listed.rows] == world.candidates[1:], name
                other = on(pool, compliance, grouped).to_dict()
                assert other["suppressed"] == pg_grouped["suppressed"], name
                assert all(r[1] is None for r in other["rows"]), name
    finally:
        if clickhouse is not None:
            clickhouse.close()
    assert _audited(database.owner_url, "interviewer") == [("candidates", "ok")] * (1 + len(engines))
    if clickhouse is None:
        pytest.skip("ran on Postgres and DuckDB only: chdb is not installed (`uv sync --group clickhouse`)")


def test_explain_analyze_counts_only_rows_the_caller_may_read(
    api: tuple[TestClient, dict[str, str]], world: World, database: TestDatabase
) -> None:
    client, keys = api
    body = {"query": "applications | aggregate n = count()", "analyze": True}
    status, out = _post(client, keys["interviewer"], "/v1/query/explain", body)
    assert status == 200, out
    scanned = [n["actual_rows"] for n in out["db"]["nodes"] if n["relation"] == "applications"]
    assert scanned
    assert max(scanned) == len(world.applications) - 1  # not the application they do not interview
    with psycopg.connect(database.owner_url) as conn:
        audited = conn.execute(
            "select entity, outcome, reason from audit_events where actor_role = 'interviewer' order by id"
        ).fetchall()
    assert audited == [("applications", "ok", "explain analyze")]  # it ran the query: audited like one


def test_explain_analyze_hides_row_counts_where_disclosure_control_applies(
    api: tuple[TestClient, dict[str, str]], world: World
) -> None:
    """Small groups of a sensitive field are suppressed in results; their counts do not leak via explain."""
    client, keys = api
    body = {"query": "candidates | group eeoc.gender | aggregate n = count()", "analyze": True}
    status, out = _post(client, keys["compliance"], "/v1/query/explain", body)
    assert status == 200, out
    assert out["db"]["analyzed"] is True
    assert all(n["actual_rows"] is None for n in out["db"]["nodes"])


def test_explain_hides_planner_estimates_from_tenant_callers(
    api: tuple[TestClient, dict[str, str]], database: TestDatabase, world: World
) -> None:
    """Estimates come from statistics over every tenant's rows: a tenant sees none (docs/guardrails.md)."""
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        conn.execute("analyze")
    client, keys = api
    for role in ("admin", "recruiter"):
        body = {"query": 'candidates | where city = "Springfield" | select id', "analyze": role == "admin"}
        status, out = _post(client, keys[role], "/v1/query/explain", body)
        assert status == 200, out
        assert out["db"]["total_cost"] is None
        assert all(n["est_rows"] is None and n["est_cost"] is None for n in out["db"]["nodes"])
        assert all(n["shared_hit"] is None and n["shared_read"] is None for n in out["db"]["nodes"])


def test_text_errors_point_into_the_callers_text_under_row_rules(
    api: tuple[TestClient, dict[str, str]], world: World
) -> None:
    """A role with row rules gets line, column and caret in its own text (a JSON query: a pointer into its
    own JSON), not into the query its rules rewrote."""
    client, keys = api
    status, body = _post(client, keys["interviewer"], "/v1/query", {"query": "candidates\n| select id, frist_name"})
    assert status == 400, body
    assert body["code"] == "Q104"
    assert body["span"] == {"start": 24, "end": 34, "line": 2, "column": 14}
    assert "^^^^^^^^^^" in body["caret"]


def test_json_errors_point_into_the_callers_json_under_row_rules(
    api: tuple[TestClient, dict[str, str]], world: World
) -> None:
    client, keys = api
    query = {"from": "candidates", "steps": [{"select": [{"field": "id"}, {"field": "frist_name"}]}]}
    status, body = _post(client, keys["interviewer"], "/v1/query", {"query": query})
    assert status == 400, body
    assert body["span"] == {"pointer": "/steps/0/select/1"}
    status, body = _post(client, keys["interviewer"], "/v1/query/explain", {"query": query})
    assert status == 400, body
    assert body["span"] == {"pointer": "/steps/0/select/1"}
