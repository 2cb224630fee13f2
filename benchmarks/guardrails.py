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
* **Guarded run** — ``query.arun`` through ``recruiting.reads.GUARDRAILS`` (row rules, suppression,
  audit) against ``query.arun_unrestricted`` for an aggregate query as a recruiter; reported as a ratio.
* **Protected path** — every suite query as a recruiter through the one protected path (what
  ``pavedroad query run --role``, ``query.run`` and ``/v1/query`` take) against the raw compile+execute
  (``arun_unrestricted``, same field policy), interleaved on one pool. Figure
  ``cli_protected_overhead_pct``: the geometric mean over queries of median(protected) / median(raw), as
  an overhead in percent (target ≤ 10 %).
* **Revocation** — a real ``pavedroad serve --workers 2`` on the seeded database; per round a fresh key
  is used on new connections (both workers cache it), then revoked by an owner connection elsewhere, and
  requests keep coming on new connections. Figure ``revocation_s``: median over rounds of the time from
  the revoking commit to the first request after which every request (≥ 20 in a row, spread over the
  workers) is refused; target ≤ 1 s (the notification makes it milliseconds).

Data: ``pavedroad.recruiting.generator.seed`` — 1M applications over 3 tenants (``--quick``: 100k).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg_pool import AsyncConnectionPool
from rich.console import Console
from rich.table import Table

from pavedroad.privacy import FieldAccessPolicy
from pavedroad.query import (
    Compiler,
    Context,
    DefaultPolicy,
    QueryError,
    QueryLimitError,
    QueryState,
    RunOptions,
    TenantSchema,
    arun,
    arun_unrestricted,
    load_tenant_schema,
)
from pavedroad.query.passes.apply_policy import apply_policy
from pavedroad.query.pipeline import PASSES
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import ACCESS, GUARDRAILS
from pavedroad.tenancy import Principal, Role, atransaction, set_tenant
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


async def _principal(pool: AsyncConnectionPool, tenant: str, role: Role = Role.RECRUITER) -> Principal:
    async with atransaction(pool, Principal(tenant, None, Role.ADMIN)) as conn:
        cur = await conn.execute(
            "select id from users where tenant_id = %s and role = %s limit 1", (tenant, role.value)
        )
        user = await cur.fetchone()
    return Principal(tenant, user[0] if user else None, role)


async def _timed(call: Any) -> float:
    t = time.perf_counter()
    await call()
    return time.perf_counter() - t


async def _bench_guarded(app_url: str, tenant: str, reps: int) -> dict[str, Any]:
    model = recruiting_model()
    query = "applications | group source.name | aggregate n = count(), hires = count(hired_at)"
    async with AsyncConnectionPool(app_url, min_size=1, max_size=2, open=False) as pool:
        principal = await _principal(pool, tenant)
        policy = FieldAccessPolicy(ACCESS)
        ours, base = [], []
        for _ in range(reps):
            ours.append(await _timed(lambda: arun(pool, principal, query, model=model, guard=GUARDRAILS)))
            base.append(
                await _timed(
                    lambda: arun_unrestricted(pool, principal, query, model=model, options=RunOptions(policy=policy))
                )
            )
    return {
        "guarded_run_ms": round(statistics.median(ours) * 1e3, 2),
        "plain_run_ms": round(statistics.median(base) * 1e3, 2),
        "guarded_vs_plain_ratio": round(statistics.median(ours) / statistics.median(base), 3),
    }


def bench_guarded(app_url: str, tenant: str, reps: int) -> dict[str, Any]:
    return asyncio.run(_bench_guarded(app_url, tenant, reps))


async def _bench_cli_protected(app_url: str, tenant: str, reps: int, role: Role) -> dict[str, Any]:
    model = recruiting_model()
    policy = FieldAccessPolicy(ACCESS)
    ratios: list[float] = []
    skipped = 0
    async with AsyncConnectionPool(app_url, min_size=1, max_size=2, open=False) as pool:
        principal = await _principal(pool, tenant, role)
        for case in SUITE:
            text = case["dsl"]

            def protected(q: str = text) -> Any:
                return arun(pool, principal, q, model=model, guard=GUARDRAILS)

            def raw(q: str = text) -> Any:
                return arun_unrestricted(pool, principal, q, model=model, options=RunOptions(policy=policy))

            try:  # warm caches and plans on both sides; a query the role may not run, or whose answer is over
                await protected()  # the row cap at this size, is skipped (counted in ``skipped``)
                await raw()
            except (QueryError, QueryLimitError):
                skipped += 1
                continue
            ours, base = [], []
            for rep in range(reps):  # ABBA order, so drift in the machine's load hits both sides alike
                first, second = (protected, raw) if rep % 2 == 0 else (raw, protected)
                a, b = await _timed(first), await _timed(second)
                ours.append(a if first is protected else b)
                base.append(b if first is protected else a)
            ratios.append(statistics.median(ours) / statistics.median(base))
    return {"overhead_pct": round((geomean(ratios) - 1) * 100, 2), "worst_pct": round((max(ratios) - 1) * 100, 2),
            "queries": len(ratios), "skipped": skipped}  # fmt: skip


def bench_cli_protected(app_url: str, tenant: str, reps: int) -> dict[str, Any]:
    """The one protected path against the raw compile+execute on the suite. Headline: as an admin, whose
    query the guard does not rewrite (same SQL both sides), so the figure is the path's own cost — grants,
    the tenant's k, the durable audit event. Beside it, as a recruiter, whose row rule adds a join: the
    cost of enforcing the rule, which the raw path simply does not do."""
    admin = asyncio.run(_bench_cli_protected(app_url, tenant, reps, Role.ADMIN))
    recruiter = asyncio.run(_bench_cli_protected(app_url, tenant, max(2, reps // 2), Role.RECRUITER))
    return {
        "cli_protected_overhead_pct": admin["overhead_pct"],
        "cli_protected_worst_pct": admin["worst_pct"],
        "cli_protected_queries": admin["queries"],
        "cli_protected_skipped": admin["skipped"],
        "cli_protected_recruiter_overhead_pct": recruiter["overhead_pct"],
    }


def _serve(owner_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``pavedroad serve --workers N`` on ``owner_url``, once it answers ``/readyz``."""
    import httpx

    from pavedroad.db import free_port

    data_dir = Path(tempfile.mkdtemp(prefix="pavedroad-bench-revocation-"))
    port = free_port()
    env = {
        **os.environ,
        "PAVEDROAD_DATABASE_URL": owner_url,
        "PAVEDROAD_DATA_DIR": str(data_dir),
        "PAVEDROAD_SLO_RECORDER": "false",
        "PAVEDROAD_LOG_LEVEL": "warning",
        "PAVEDROAD_POOL_MAX_SIZE": "4",
    }
    log = open(data_dir / "service.log", "wb")  # noqa: SIM115 - lives as long as the process
    argv = [str(Path(sys.executable).parent / "pavedroad"), "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url, data_dir
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"service exited early; see {log.name}")
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("service did not become ready in 90 s")


def bench_revocation(owner_url: str, tenant: str, rounds: int, workers: int = 2) -> dict[str, Any]:
    """Seconds from a revoking commit until every service process refuses the key (see module doc)."""
    import httpx

    from pavedroad.recruiting.tenants import ensure_demo_keys
    from pavedroad.tenancy import hash_key, issue_key

    keys = ensure_demo_keys(owner_url, Path(tempfile.mkdtemp()) / "keys.json", [tenant])
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("select user_id from api_keys where key_hash = %s", (hash_key(keys[tenant]["admin"]),))
        user_id = row.fetchone()[0]  # type: ignore[index]
    proc, url, _ = _serve(owner_url, workers)
    delays: list[float] = []
    fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection per request: any worker may answer
    try:
        with httpx.Client(base_url=url, limits=fresh, timeout=10) as client:
            for _ in range(rounds):
                key = issue_key(tenant)
                with psycopg.connect(owner_url) as conn:
                    conn.execute("insert into api_keys (tenant_id, user_id, key_hash, label) values (%s, %s, %s,"
                                 " 'bench')", (tenant, user_id, hash_key(key)))  # fmt: skip
                headers = {"Authorization": f"Bearer {key}"}
                for _ in range(20):  # warm every worker's cache
                    assert client.get("/v1/jobs?limit=1", headers=headers).status_code == 200
                with psycopg.connect(owner_url) as conn:
                    revoked = time.perf_counter()
                    conn.execute("update api_keys set revoked_at = now() where key_hash = %s", (hash_key(key),))
                    conn.commit()
                refused_since: float | None = None
                in_a_row = 0
                while in_a_row < 20 and time.perf_counter() - revoked < 60:
                    sent = time.perf_counter()
                    if client.get("/v1/jobs?limit=1", headers=headers).status_code == 401:
                        refused_since = sent if refused_since is None else refused_since
                        in_a_row += 1
                    else:
                        refused_since, in_a_row = None, 0
                delays.append((refused_since if refused_since is not None else math.inf) - revoked)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "revocation_s": round(statistics.median(delays), 4),
        "revocation_max_s": round(max(delays), 4),
        "revocation_workers": workers,
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
        figures.update(bench_cli_protected(db.app_url, tenant, reps))
        figures.update(bench_revocation(db.owner_url, tenant, 5 if args.quick else 15))
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
