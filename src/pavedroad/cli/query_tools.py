"""``pavedroad query explain | profile | top | advise | check-plans``: the query tools' commands.

Registered on the ``query`` group by ``cli/query.py`` (``register(app)``); each command is a thin driver
over ``pavedroad.querytools`` and prints Rich output, or JSON with ``--json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from psycopg import sql

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.errors import InvalidInput

__all__ = ["PLAN_DATASET", "PLAN_NOW", "prepare_plan_dataset", "register"]

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SUITE = ROOT / "benchmarks" / "query_suite.yaml"
DEFAULT_BASELINE = ROOT / "tests" / "golden" / "query" / "plans.json"
PLAN_DATASET = {"applications": 3000, "tenants": 3, "seed": 7}
PLAN_NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)  # the generator's reference date


def prepare_plan_dataset(owner_url: str, dataset: dict[str, int]) -> list[str]:
    """Seed a migrated, empty database deterministically and lay it out deterministically, so estimated
    costs repeat: ``CLUSTER`` on each primary key rewrites every table in key order (removing the page
    count and row-order noise of the generator's parallel loaders), and at this size ``ANALYZE`` reads
    every row (no sampling)."""
    from pavedroad.recruiting.generator import seed

    report = seed(owner_url, applications=dataset["applications"], tenants=dataset["tenants"],
                  seed=dataset["seed"], progress=False)  # fmt: skip
    with psycopg.connect(owner_url, autocommit=True) as conn:
        keys = conn.execute(
            "select c.relname, i.relname from pg_index x join pg_class c on c.oid = x.indrelid"
            " join pg_class i on i.oid = x.indexrelid join pg_namespace n on n.oid = c.relnamespace"
            " where x.indisprimary and n.nspname = 'public' order by 1"
        ).fetchall()
        for table, index in keys:
            conn.execute(sql.SQL("CLUSTER {} USING {}").format(sql.Identifier(table), sql.Identifier(index)))
        conn.execute("ANALYZE")
    return list(report.tenants)


@contextmanager
def _stack() -> Iterator[Any]:
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        yield stack
    finally:
        stack.stop()


def _suite(path: Path | None) -> list[Any]:
    from pavedroad.querytools import load_suite

    return load_suite(path or DEFAULT_SUITE)


def _explain(query: str, tenant: str, role: str, *, user: int | None, as_owner: bool, analyze: bool, target: str,
             values: dict[str, Any]) -> Any:  # fmt: skip
    """The explanation ``/v1/query/explain`` gives the role (the one guarded path), or, ``as_owner``,
    unrestricted (no row rules, with the planner's estimates)."""
    from pavedroad.cli.query import _check_target, _query_arg, principal_for, require_owner, tenant_copy
    from pavedroad.query import RunOptions
    from pavedroad.querytools import explain, explain_duckdb_unrestricted, explain_unrestricted
    from pavedroad.recruiting.model import recruiting_model
    from pavedroad.recruiting.reads import GUARDRAILS

    _check_target(target)
    principal = principal_for(tenant, role, user)
    model = recruiting_model()
    text = _query_arg(query)
    with _stack() as stack:
        if as_owner:
            require_owner(stack.owner_url)
        schema: Any = None
        duck: Any = None
        if target == "duckdb":
            schema, duck = tenant_copy(stack.app_url, principal, model)
        options = RunOptions(params=values)
        if as_owner and duck is not None:
            return explain_duckdb_unrestricted(duck, schema, role, text, model=model, options=options, analyze=analyze)
        if as_owner:
            return explain_unrestricted(stack.app_url, principal, text, model=model, options=options, analyze=analyze)
        return explain(stack.app_url, principal, text, model=model, guard=GUARDRAILS, options=options,
                       analyze=analyze, duckdb=duck)  # fmt: skip


def register(app: typer.Typer) -> None:  # noqa: PLR0915 - one nested definition per command
    """Add the query tools' commands to the ``query`` group."""

    @app.command("explain")
    @friendly_errors
    def explain_cmd(
        query: Annotated[str, typer.Argument(help="The query, pipeline text or JSON form.")],
        *,
        tenant: Annotated[str, typer.Option(help="Tenant id to explain as.")],
        role: Annotated[str, typer.Option(help="Role: its field access and row rules apply.")] = "admin",
        user: Annotated[int | None, typer.Option(help="User id to explain as (row rules grant by user).")] = None,
        as_owner: Annotated[
            bool, typer.Option("--as-owner", help="Unrestricted, with planner estimates; needs the owner URL.")
        ] = False,
        analyze: Annotated[bool, typer.Option(help="Run it (rolled back) for actual rows and timings.")] = False,
        target: Annotated[str, typer.Option(help="postgres or duckdb.")] = "postgres",
        as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
        param: Annotated[list[str] | None, typer.Option("--param", help="A $parameter as name=value.")] = None,
    ) -> None:
        """Each compiler pass's result, the SQL and the database plan (hottest node highlighted)."""
        from pavedroad.cli.query import (
            UNRESTRICTED,
            _params,  # the query group's own parser
        )
        from pavedroad.querytools import render_explanation

        out = _explain(query, tenant, role, user=user, as_owner=as_owner, analyze=analyze, target=target,
                       values=_params(param or []))  # fmt: skip
        if as_json:
            body = out.to_dict()
            console.print_json(json.dumps({**body, "unrestricted": True} if as_owner else body))
        else:
            if as_owner:
                console.print(f"[bold yellow]{UNRESTRICTED}[/]")
            console.print(render_explanation(out))

    @app.command("profile")
    @friendly_errors
    def profile_cmd(
        query: Annotated[str | None, typer.Argument(help="One query (or use --suite).")] = None,
        *,
        suite: Annotated[Path | None, typer.Option(help="A suite file (YAML list or paragraphs).")] = None,
        reps: Annotated[int, typer.Option(min=1, max=1000, help="Compiles per query (medians).")] = 20,
        role: Annotated[str, typer.Option(help="Role (policy).")] = "admin",
        tenant: Annotated[str | None, typer.Option(help="Load this tenant's custom fields from the database.")] = None,
        top: Annotated[int, typer.Option(min=1, help="How many slow shapes to list.")] = 10,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Per-pass compile timings for one query or a suite, slowest passes and shapes ranked."""
        from pavedroad.query import TenantSchema
        from pavedroad.querytools import SuiteQuery, profile_suite, render_profile
        from pavedroad.recruiting.model import recruiting_model

        if (query is None) == (suite is None):
            raise InvalidInput(
                "give one query or --suite FILE", hint="pavedroad query profile --suite benchmarks/query_suite.yaml"
            )
        queries = [SuiteQuery("query", query)] if query is not None else _suite(suite)
        schema = TenantSchema("example")
        if tenant is not None:
            from pavedroad.querytools import tenant_schema

            with _stack() as stack, psycopg.connect(stack.owner_url, autocommit=True) as conn:
                schema = tenant_schema(conn, tenant)
        result = profile_suite(queries, model=recruiting_model(), schema=schema, role=role, reps=reps)
        if as_json:
            console.print_json(json.dumps(result.to_dict()))
        else:
            console.print(render_profile(result, top))

    @app.command("top")
    @friendly_errors
    def top_cmd(
        by: Annotated[str, typer.Option(help="Rank by p99, total, p50 or calls.")] = "total",
        tenant: Annotated[str | None, typer.Option(help="Only this tenant's shapes.")] = None,
        hours: Annotated[float, typer.Option(min=0.01, help="Look back this many hours.")] = 24.0,
        limit: Annotated[int, typer.Option(min=1, max=1000, help="How many shapes.")] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The query shapes that cost the most across tenants (owner connection), with an explain line each."""
        from pavedroad.querytools import TOP_ORDER as ORDER
        from pavedroad.querytools import render_top, top_shapes

        if by not in ORDER:
            raise InvalidInput(f"unknown --by {by!r}", hint=f"one of {', '.join(ORDER)}")
        since = datetime.now(UTC) - timedelta(hours=hours)
        with _stack() as stack, psycopg.connect(stack.owner_url, autocommit=True) as conn:
            rows = top_shapes(conn, by=by, tenant=tenant, since=since, limit=limit)
        if as_json:
            console.print_json(json.dumps(rows, default=str))
        else:
            console.print(render_top(rows, by))

    @app.command("advise")
    @friendly_errors
    def advise_cmd(
        *,
        tenant: Annotated[str, typer.Option(help="Tenant whose data the plans are measured on.")],
        suite: Annotated[Path | None, typer.Option(help="Suite file (default: benchmarks/query_suite.yaml).")] = None,
        analyze: Annotated[bool, typer.Option(help="Also measure execution time (runs the suite).")] = False,
        min_gain: Annotated[float, typer.Option(min=0.0, max=1.0, help="Smallest cost reduction to propose.")] = 0.01,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Propose indexes for a suite, each measured in a scratch transaction that is rolled back."""
        from pavedroad.querytools import advise, render_advice
        from pavedroad.recruiting.model import recruiting_model

        queries = _suite(suite)
        with _stack() as stack:
            advice = advise(stack.owner_url, tenant, queries, model=recruiting_model(), now=datetime.now(UTC),
                            min_gain=min_gain, analyze=analyze)  # fmt: skip
        if as_json:
            payload = [
                {"ddl": p.ddl, "gain": round(p.gain, 4), "queries": list(p.queries), "reason": p.candidate.reason,
                 "ms_before": p.ms_before, "ms_after": p.ms_after, "slower": list(p.slower)}
                for p in advice.proposals
            ]  # fmt: skip
            console.print_json(json.dumps({"tenant": tenant, "proposals": payload, "skipped": advice.skipped}))
        else:
            console.print(render_advice(advice))

    @app.command("check-plans")
    @friendly_errors
    def check_plans_cmd(
        baseline: Annotated[Path, typer.Option(help="The checked-in plan baseline.")] = DEFAULT_BASELINE,
        suite: Annotated[Path | None, typer.Option(help="Suite file (default: benchmarks/query_suite.yaml).")] = None,
        update: Annotated[bool, typer.Option(help="Record the baseline instead of checking against it.")] = False,
        threshold: Annotated[float, typer.Option(min=0.0, help="Allowed growth of a plan's estimated cost.")] = 0.25,
    ) -> None:
        """Plan the suite on a fresh deterministic dataset; fail (exit 1) when a plan got costlier."""
        from pavedroad.querytools import compare_plans, load_baseline, render_plan_report

        current = plan_snapshot(_suite(suite))
        if update:
            baseline.write_text(json.dumps(current, indent=1) + "\n")
            console.print(f"recorded {len(current['plans'])} plans in {baseline}")
            return
        report = compare_plans(load_baseline(baseline), current, threshold)
        console.print(render_plan_report(report, threshold))
        if not report.ok:
            raise typer.Exit(1)


def plan_snapshot(suite: list[Any]) -> dict[str, Any]:
    """Migrate a scratch database on the stack's server, seed ``PLAN_DATASET``, record the suite's plans."""
    from pavedroad.db import migrate
    from pavedroad.querytools import record_plans
    from pavedroad.recruiting.model import recruiting_model
    from pavedroad.stack import all_migration_sources, create_database

    name = f"pavedroad_plans_{os.getpid()}"
    with _stack() as stack:
        owner = create_database(stack.owner_url, name)
        try:
            migrate(owner, all_migration_sources(), app_password=settings().app_db_password)
            tenants = prepare_plan_dataset(owner, PLAN_DATASET)
            return record_plans(owner, tenants[0], suite, model=recruiting_model(), now=PLAN_NOW, dataset=PLAN_DATASET)
        finally:
            with psycopg.connect(stack.owner_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
