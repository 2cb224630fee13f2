"""Guardrails: the cost of the policy pass per compile, and of row-level security per query.

* **Policy pass** — for every query of ``benchmarks/query_suite.yaml`` the compiler's passes run up to
  the policy pass, then ``apply_policy`` is timed with pavedroad's ``FieldAccessPolicy`` (the
  role-by-classification matrix with restricted compensation fields) and, interleaved, with the
  compiler's ``DefaultPolicy`` (the baseline: one comparison per field). Figure: median µs per compile.
* **Row-level security** — every suite query, compiled for the largest tenant, runs alternately as
  ``pavedroad_app`` inside ``tenancy.transaction`` (RLS on: ENABLE + FORCE, RESTRICTIVE tenant policy)
  and as the superuser (RLS bypassed), same SQL, same parameters, same session time zone. Figure: the
  geometric mean over queries of median(RLS) / median(bypass), as an overhead in percent (target ≤ 5 %
  with tenant-leading indexes), and the worst query.
* **Guarded run** — ``privacy.run_protected`` (row rules, suppression, audit) against ``query.run`` for
  an aggregate query as a recruiter; reported as a ratio.

Data: ``pavedroad.recruiting.generator.seed`` — 1M applications over 3 tenants (``--quick``: 100k).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg_pool import ConnectionPool
from rich.console import Console
from rich.table import Table

from pavedroad.privacy import FieldAccessPolicy, run_protected
from pavedroad.query import Compiler, Context, DefaultPolicy, QueryState, TenantSchema, load_tenant_schema, run
from pavedroad.query.passes.apply_policy import apply_policy
from pavedroad.query.pipeline import PASSES
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import ACCESS, ROW_RULES
from pavedroad.tenancy import Principal, Role, set_tenant, transaction
from pavedroad.testing import start_test_servers

console = Console(stderr=True)
SUITE = yaml.safe_load((Path(__file__).resolve().parent / "query_suite.yaml").read_text())
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def bench_policy(schema: TenantSchema, reps: int) -> dict[str, Any]:
    model = recruiting_model()
    ours_policy, base_policy = FieldAccessPolicy(ACCESS), DefaultPolicy()
    upto = PASSES[: PASSES.index(apply_policy)]
    ours, base = [], []
    for case in SUITE:
        ctx = Context(model=model, schema=schema, role="recruiter", policy=ours_policy)
        base_ctx = Context(model=model, schema=schema, role="recruiter", policy=base_policy)
        state = QueryState(source=case["dsl"])
        for step in upto:
            state = step(state, ctx)
        for _ in range(reps):
            t = time.perf_counter()
            apply_policy(state, ctx)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            apply_policy(state, base_ctx)
            base.append(time.perf_counter() - t)
    return {
        "policy_pass_us": round(statistics.median(ours) * 1e6, 2),
        "policy_pass_default_us": round(statistics.median(base) * 1e6, 2),
        "policy_pass_vs_default_ratio": round(statistics.median(ours) / statistics.median(base), 3),
    }


def _time(
    conn: psycopg.Connection,
    setup: list[tuple[str, tuple[Any, ...]]],
    sql: str,
    params: dict[str, Any],
    principal: Principal | None = None,
) -> float:
    with conn.transaction():
        if principal is not None:
            set_tenant(conn, principal)
        for stmt, args in setup:
            conn.execute(stmt, args)
        t = time.perf_counter()
        conn.execute(sql, params).fetchall()
        return time.perf_counter() - t


def bench_rls(owner_url: str, app_url: str, tenant: str, reps: int) -> tuple[dict[str, Any], list[list[str]]]:
    model = recruiting_model()
    compiler = Compiler()
    principal = Principal(tenant, None, Role.ADMIN)
    rows, ratios = [], []
    totals = [0.0, 0.0]
    with psycopg.connect(app_url) as app, psycopg.connect(owner_url) as owner:
        schema = load_tenant_schema(owner, tenant)
        tz = [("select set_config('TimeZone', %s, true)", (schema.time_zone,))]
        for case in SUITE:
            compiled = compiler.compile(case["dsl"], model=model, schema=schema, now=NOW)
            params = dict(compiled.params)
            _time(app, tz, compiled.sql, params, principal)  # warm caches and plans on both sides
            _time(owner, tz, compiled.sql, params)
            rls, bypass = [], []
            for rep in range(reps):  # ABBA order, so drift in the machine's load hits both sides alike
                if rep % 2 == 0:
                    rls.append(_time(app, tz, compiled.sql, params, principal))
                    bypass.append(_time(owner, tz, compiled.sql, params))
                else:
                    bypass.append(_time(owner, tz, compiled.sql, params))
                    rls.append(_time(app, tz, compiled.sql, params, principal))
            ratio = statistics.median(rls) / statistics.median(bypass)
            ratios.append(ratio)
            totals[0] += statistics.median(rls)
            totals[1] += statistics.median(bypass)
            rows.append(
                [
                    case["name"],
                    f"{statistics.median(rls) * 1e3:.2f}",
                    f"{statistics.median(bypass) * 1e3:.2f}",
                    f"{(ratio - 1) * 100:+.1f}%",
                ]
            )
    return {
        "rls_overhead_pct": round((geomean(ratios) - 1) * 100, 2),
        "rls_overhead_total_time_pct": round((totals[0] / totals[1] - 1) * 100, 2),
        "rls_overhead_worst_pct": round((max(ratios) - 1) * 100, 2),
        "rls_queries": len(ratios),
    }, rows


def bench_guarded(app_url: str, tenant: str, reps: int) -> dict[str, Any]:
    model = recruiting_model()
    query = "applications | group source.name | aggregate n = count(), hires = count(hired_at)"
    with ConnectionPool(app_url, min_size=1, max_size=2) as pool:
        with transaction(pool, Principal(tenant, None, Role.ADMIN)) as conn:
            found = conn.execute("select id from users where tenant_id = %s and role = 'recruiter' limit 1", (tenant,))
            user = found.fetchone()
        principal = Principal(tenant, user[0] if user else None, Role.RECRUITER)
        policy = FieldAccessPolicy(ACCESS)
        ours, base = [], []
        for _ in range(reps):
            t = time.perf_counter()
            run_protected(pool, principal, query, model=model, matrix=ACCESS, rules=ROW_RULES)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            run(pool, principal, query, model=model, policy=policy)
            base.append(time.perf_counter() - t)
    return {
        "guarded_run_ms": round(statistics.median(ours) * 1e3, 2),
        "plain_run_ms": round(statistics.median(base) * 1e3, 2),
        "guarded_vs_plain_ratio": round(statistics.median(ours) / statistics.median(base), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k applications, 4 repetitions (< 60 s)")
    args = parser.parse_args()
    applications, reps = (100_000, 4) if args.quick else (1_000_000, 15)
    figures: dict[str, Any] = {"applications": applications}
    started = time.perf_counter()
    with start_test_servers(with_nats=False) as servers:
        db = servers.new_database("bench_guardrails")
        report = seed(db.owner_url, applications=applications, tenants=3, seed=11, progress=False)
        with psycopg.connect(db.owner_url) as conn:
            tenant = conn.execute(
                "select tenant_id from applications group by tenant_id order by count(*) desc limit 1"
            ).fetchone()[0]  # type: ignore[index]
            conn.execute("analyze")
            schema = load_tenant_schema(conn, tenant)
        figures.update(bench_policy(schema, 200 if args.quick else 2000))
        console.print(f"seeded {applications:,} applications over {len(report.tenants)} tenants; querying {tenant}")
        rls, rows = bench_rls(db.owner_url, db.app_url, tenant, reps)
        figures.update(rls)
        figures.update(bench_guarded(db.app_url, tenant, 5))
    table = Table(title="row-level security: same SQL as pavedroad_app (RLS) vs superuser (bypass), medians")
    for column in ("query", "RLS ms", "bypass ms", "overhead"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    summary = Table(title="guardrails")
    summary.add_column("figure")
    summary.add_column("value")
    for key, value in figures.items():
        summary.add_row(key, str(value))
    console.print(summary)
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
