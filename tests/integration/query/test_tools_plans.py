"""Plan-regression check and index advisor on the deterministic plan dataset (real Postgres, RLS on)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.cli.query_tools import DEFAULT_BASELINE, DEFAULT_SUITE, PLAN_DATASET, PLAN_NOW, prepare_plan_dataset
from pavedroad.querytools import KeyPart, advise, compare_plans, load_baseline, load_suite, record_plans
from pavedroad.recruiting.model import recruiting_model
from pavedroad.settings import get_settings
from pavedroad.testing import TestDatabase, TestServers

SUITE = load_suite(DEFAULT_SUITE)


@pytest.fixture(scope="module")
def plan_db(servers: TestServers) -> Iterator[tuple[TestDatabase, str]]:
    db = servers.new_database("plans")
    tenants = prepare_plan_dataset(db.owner_url, PLAN_DATASET)
    yield db, tenants[0]
    servers.drop_database(db)


def _record(db: TestDatabase, tenant: str) -> dict[str, Any]:
    return record_plans(db.owner_url, tenant, SUITE, model=recruiting_model(), now=PLAN_NOW, dataset=PLAN_DATASET)


def _indexes(db: TestDatabase) -> set[str]:
    with psycopg.connect(db.owner_url) as conn:
        return {r[0] for r in conn.execute("select indexname from pg_indexes where schemaname = 'public'")}


def test_the_checked_in_baseline_matches_the_plans_of_this_build(plan_db: tuple[TestDatabase, str]) -> None:
    db, tenant = plan_db
    current = _record(db, tenant)
    baseline = load_baseline(DEFAULT_BASELINE)
    report = compare_plans(baseline, current)
    # If a change made plans costlier on purpose: .venv/bin/pavedroad query check-plans --update
    assert report.ok, [(d.name, d.cost_before, d.cost_after, d.diff) for d in report.regressions] + report.missing
    assert not current["errors"]
    assert set(current["plans"]) >= set(baseline["plans"]) - {
        n for n in baseline["plans"] if n not in {q.name for q in SUITE}
    }


def test_dropping_an_index_fails_the_check_with_a_plan_diff_and_the_advisor_proposes_it_back(
    plan_db: tuple[TestDatabase, str],
) -> None:
    """A plan made worse by a schema change fails the check; the advisor finds the missing index."""
    db, tenant = plan_db
    before = _record(db, tenant)
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        conn.execute("drop index applications_applied_report")
    try:
        report = compare_plans(before, _record(db, tenant), threshold=0.25)
        assert not report.ok
        worse = {d.name: d for d in report.regressions}
        assert "applications_by_day_recent" in worse
        assert "using applications_applied_report" in worse["applications_by_day_recent"].diff
        suite = [q for q in SUITE if q.name in {"applications_by_day_recent", "applications_by_status"}]
        existing = _indexes(db)
        advice = advise(db.owner_url, tenant, suite, model=recruiting_model(), now=PLAN_NOW)
        assert _indexes(db) == existing  # measured in transactions that were rolled back
        wanted = (KeyPart("tenant_id"), KeyPart("applied_at"))
        proposal = next(p for p in advice.proposals if p.candidate.keys == wanted and not p.candidate.where)
        assert proposal.gain > 0
        assert proposal.queries == ("applications_by_day_recent",)
        assert proposal.ddl.startswith('CREATE INDEX CONCURRENTLY IF NOT EXISTS "applications_applied_at_')
        assert proposal.ddl.endswith('ON "applications" ("tenant_id", "applied_at");')
    finally:
        with psycopg.connect(db.owner_url, autocommit=True) as conn:
            conn.execute(
                "create index applications_applied_report on applications (tenant_id, applied_at)"
                " include (status, job_id, source_id, hired_at)"
            )
            conn.execute("analyze applications")
    assert compare_plans(before, _record(db, tenant), threshold=0.0).ok


def test_advisor_skips_covered_indexes_and_explains_why_jsonb_expression_indexes_do_not_help(
    plan_db: tuple[TestDatabase, str],
) -> None:
    db, tenant = plan_db
    suite = [q for q in SUITE if q.name in {"custom_field_filter", "pipeline_by_department"}]
    advice = advise(db.owner_url, tenant, suite, model=recruiting_model(), now=PLAN_NOW)
    expression = [k for k in advice.skipped if "custom ->> 'expected_salary'" in k]
    assert expression, advice.skipped
    assert "LEAKPROOF" in advice.skipped[expression[0]]
    assert all(p.candidate.label != "applications (tenant_id, job_id)" for p in advice.proposals)
    assert advice.cost_after_all <= advice.cost_before


@pytest.fixture
def cli(plan_db: tuple[TestDatabase, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", plan_db[0].owner_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_check_plans_command_exits_non_zero_with_a_diff_when_a_plan_is_costlier(cli: CliRunner, tmp_path: Path) -> None:
    doctored = load_baseline(DEFAULT_BASELINE)
    plan = doctored["plans"]["applications_by_status"]
    plan["cost"] = plan["cost"] / 2  # as if this build planned it at twice the baseline's cost
    plan["shape"] = ["Index Only Scan using applications_pkey on applications"]
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(doctored))
    result = cli.invoke(app, ["query", "check-plans", "--baseline", str(path)])
    assert result.exit_code == 1, result.output
    assert "worse applications_by_status" in result.output
    assert "+Aggregate" in result.output.replace(" ", "")
    result = cli.invoke(app, ["query", "check-plans"])
    assert result.exit_code == 0, result.output
    assert "plans ok" in result.output


def test_explain_and_advise_commands(cli: CliRunner, plan_db: tuple[TestDatabase, str]) -> None:
    _, tenant = plan_db
    query = 'applications | where status = "active" | group source.name | aggregate n = count(interviews)'
    result = cli.invoke(app, ["query", "explain", query, "--tenant", tenant, "--analyze", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["db"]["analyzed"] is True
    assert [p["name"] for p in body["passes"]][-1] == "verify"
    result = cli.invoke(app, ["query", "explain", query, "--tenant", tenant, "--analyze"])
    assert result.exit_code == 0, result.output
    assert "🔥" in result.output
    assert "tenant predicates" in result.output
    result = cli.invoke(
        app, ["query", "explain", query, "--tenant", tenant, "--target", "duckdb", "--analyze", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["db"]["engine"] == "duckdb"
    result = cli.invoke(app, ["query", "profile", query, "--reps", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert [p["pass"] for p in json.loads(result.stdout)["passes"]]


GOLDEN = sorted((Path(__file__).parents[2] / "golden" / "query" / "explain").glob("*.case"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_explain_analyze_plan_matches_golden(plan_db: tuple[TestDatabase, str], path: Path) -> None:
    """The database plan part of explain (actual rows and times masked) on the plan-check dataset."""
    from psycopg_pool import ConnectionPool

    from pavedroad.query import RunOptions
    from pavedroad.querytools import explain_unrestricted
    from pavedroad.querytools.render import plan_text
    from pavedroad.tenancy import Principal, Role
    from tests.golden.query.explain.test_explain_golden import REFRESH, UPDATE, read_case, write_case

    db, tenant = plan_db
    header, sections = read_case(path)
    with ConnectionPool(db.app_url, min_size=1, max_size=1, open=True) as pool:
        admin = Principal(tenant, None, Role.ADMIN)
        options = RunOptions(now=PLAN_NOW)
        out = explain_unrestricted(pool, admin, sections["query"].strip(), model=recruiting_model(), options=options,
                                   analyze=True)  # fmt: skip
    assert out.db is not None
    assert out.db.analyzed
    assert out.db.hottest() is not None
    got = plan_text(out.db)
    if UPDATE:
        sections["plan"] = got
        write_case(path, header, sections)
        return
    assert "plan" in sections, f"{path.name} has no '--- plan' section: run with PAVEDROAD_GOLDEN_UPDATE=1"
    assert got == sections["plan"], f"{path.name}: the database plan changed; if intended: {REFRESH}"


def test_advise_top_and_profile_commands_render(
    cli: CliRunner, plan_db: tuple[TestDatabase, str], tmp_path: Path
) -> None:
    _, tenant = plan_db
    suite = tmp_path / "suite.txt"
    suite.write_text('applications | where status = "hired" | aggregate n = count()\n\njobs | group titel\n')
    result = cli.invoke(app, ["query", "advise", "--tenant", tenant, "--suite", str(suite), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["proposals"]
    assert all(p["ddl"].startswith("CREATE INDEX CONCURRENTLY") and p["gain"] > 0 for p in body["proposals"])
    assert body["skipped"]["q2"].startswith("does not compile: Q104")
    result = cli.invoke(app, ["query", "advise", "--tenant", tenant, "--suite", str(suite), "--analyze", "--json"])
    assert result.exit_code == 0, result.output
    timed = json.loads(result.stdout)["proposals"]
    assert all(p["ms_before"] > 0 and p["ms_after"] > 0 for p in timed)
    result = cli.invoke(app, ["query", "advise", "--tenant", tenant, "--suite", str(suite)])
    assert result.exit_code == 0, result.output
    assert "CREATE INDEX CONCURRENTLY" in result.output
    result = cli.invoke(app, ["query", "profile", "--suite", str(suite), "--reps", "2"])
    assert result.exit_code == 0, result.output
    assert "Q104" in result.output
    result = cli.invoke(app, ["query", "top", "--by", "p99", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []  # nothing ran through the service on this database
    result = cli.invoke(app, ["query", "top", "--by", "median"])
    assert result.exit_code == 2
    assert "unknown --by" in result.stderr
