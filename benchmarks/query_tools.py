"""Query tools: the cost of the query-shape log on ``/v1/query``, and what the index advisor's indexes buy.

* **Shape-log overhead** — the same ``POST /v1/query`` requests through the ASGI app in-process, with the
  shape log on and off *alternately* (on: the route's timing compiler and ``ShapeLog.record``, plus the
  background flusher writing to Postgres; off: the route as it is without the log). Figure: the median over back-to-back
  request pairs of on/off - 1, per query, and the median of those (target: at most 2 %). Also the bare cost of one
  ``record`` call and the flusher's work per record, and their sum as a share of the median request
  (``shape_log_added_work_pct``: the overhead's deterministic estimate, robust to a busy machine).
* **Advisor speed-up** — ``advise`` proposes indexes for ``benchmarks/query_suite.yaml`` on the largest
  tenant (estimated cost, measured in rolled-back transactions); then every suite query runs without and
  with the proposed indexes, alternately, round after round (each "with" round creates the indexes in a
  transaction that is rolled back). Baseline: the schema's own, hand-chosen indexes. Figure: geometric
  mean over the suite of median(before) / median(after) (> 1 is faster), and the best single query.

Data: ``pavedroad.recruiting.generator.seed`` — 200k applications over 3 tenants (``--quick``: 20k).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql
from rich.console import Console
from rich.table import Table

from pavedroad.querytools import ShapeLog, advise, index_ddl, load_suite
from pavedroad.querytools.scratch import compile_suite, enter_tenant
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import start_test_servers

console = Console(stderr=True)
SUITE = load_suite(Path(__file__).resolve().parent / "query_suite.yaml")
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
LOG_QUERIES = {
    "count_jobs": "jobs | aggregate n = count()",
    "list_page": 'applications | where status = "active" | select id, applied_at | sort -applied_at | take 20',
    "by_department": 'applications | where status = "hired" | group job.department.name | aggregate n = count()',
}


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def bench_shape_log(
    client: TestClient, key: str, tenant: str, reps: int
) -> tuple[dict[str, Any], list[tuple[str, float, float]]]:
    app: Any = client.app
    log: ShapeLog = app.state.shape_log
    headers = {"Authorization": f"Bearer {key}"}
    on: dict[str, list[float]] = {n: [] for n in LOG_QUERIES}
    off: dict[str, list[float]] = {n: [] for n in LOG_QUERIES}
    pairs: dict[str, list[float]] = {n: [] for n in LOG_QUERIES}  # on/off of back-to-back requests
    for i in range(reps + 20):  # the first 20 rounds warm both paths (caches, pool) and are dropped
        for name, q in LOG_QUERIES.items():
            took = {}
            for enabled in (True, False) if i % 2 else (False, True):
                app.state.shape_log = log if enabled else None
                t = time.perf_counter()
                resp = client.post("/v1/query", json={"query": q}, headers=headers)
                took[enabled] = time.perf_counter() - t
                assert resp.status_code == 200, resp.text
            if i >= 20:
                on[name].append(took[True])
                off[name].append(took[False])
                pairs[name].append(took[True] / took[False])
    app.state.shape_log = log
    med = statistics.median
    rows = [(n, med(off[n]) * 1e3, med(on[n]) * 1e3, (med(pairs[n]) - 1) * 100) for n in LOG_QUERIES]
    overheads = [r[3] for r in rows]
    # One record() on its own: the buffer append the request pays (the flusher runs off the request path).
    principal = Principal(tenant, None, Role.ADMIN)
    log.compiler.compile(LOG_QUERIES["count_jobs"], model=recruiting_model(), schema=_schema_stub())
    t = time.perf_counter()
    for _ in range(2000):
        log.record(principal, LOG_QUERIES["count_jobs"], 1)
    record_us = (time.perf_counter() - t) / 2000 * 1e6
    # The flusher's work per record (one INSERT … unnest per tenant per batch), run on the app's loop.
    log.buffer.drain()
    for _ in range(2000):
        log.record(principal, LOG_QUERIES["count_jobs"], 1)
    t = time.perf_counter()
    client.portal.call(log.flush, app.state.pool, 5000)  # type: ignore[union-attr]
    flush_us = (time.perf_counter() - t) / 2000 * 1e6
    request_us = statistics.median(x for n in LOG_QUERIES for x in off[n]) * 1e6
    figures = {
        "shape_log_overhead_pct": round(statistics.median(overheads), 2),
        "shape_log_overhead_max_pct": round(max(overheads), 2),
        "shape_log_record_us": round(record_us, 2),
        "shape_log_flush_per_record_us": round(flush_us, 2),
        "shape_log_added_work_pct": round((record_us + flush_us) / request_us * 100, 3),
        "shape_log_requests_per_side": reps * len(LOG_QUERIES),
        "shape_log_written": log.written,
        "shape_log_dropped": log.buffer.dropped,
    }
    return figures, rows


def _schema_stub() -> Any:
    from pavedroad.query import TenantSchema

    return TenantSchema("acme")


def _time(conn: psycopg.Connection, sql_text: str, params: dict[str, Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        conn.execute(sql_text, params).fetchall()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_advisor(owner_url: str, tenant: str, rounds: int, reps: int) -> tuple[dict[str, Any], list[Any], Any]:
    model = recruiting_model()
    t = time.perf_counter()
    advice = advise(owner_url, tenant, SUITE, model=model, now=NOW)
    advise_s = time.perf_counter() - t
    chosen = [p.candidate for p in advice.proposals]
    before: dict[str, list[float]] = {}
    after: dict[str, list[float]] = {}
    with psycopg.connect(owner_url, autocommit=True) as conn:
        schema, cases, _ = compile_suite(conn, tenant, SUITE, model=model, now=NOW)
        for r in range(rounds):
            for with_indexes in (False, True) if r % 2 == 0 else (True, False):
                with conn.transaction(force_rollback=True):
                    if with_indexes:
                        for c in chosen:
                            conn.execute(index_ddl(c, concurrently=False))
                        for table in sorted({c.table for c in chosen if any(k.json_key for k in c.keys)}):
                            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
                    enter_tenant(conn, tenant, schema.time_zone)
                    for case in cases:  # one untimed pass: the index builds just churned the buffer cache
                        conn.execute(case.compiled.sql, case.compiled.params).fetchall()
                    for case in cases:
                        ms = _time(conn, case.compiled.sql, case.compiled.params, reps) * 1e3
                        (after if with_indexes else before).setdefault(case.name, []).append(ms)
    ratios = {n: statistics.median(before[n]) / statistics.median(after[n]) for n in before}
    best = max(ratios, key=lambda n: ratios[n])
    figures = {
        "advisor_speedup_geomean": round(geomean(list(ratios.values())), 3),
        "advisor_speedup_max": round(ratios[best], 2),
        "advisor_speedup_max_query": best,
        "advisor_proposals": len(chosen),
        "advisor_slower_queries": sum(r < 0.9 for r in ratios.values()),
        "advisor_estimated_cost_drop_pct": round((1 - advice.cost_after_all / advice.cost_before) * 100, 1),
        "advisor_run_s": round(advise_s, 2),
    }
    rows = [(n, statistics.median(before[n]), statistics.median(after[n]), ratios[n]) for n in before]
    return figures, rows, advice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k applications, fewer repetitions (< 60 s)")
    args = parser.parse_args()
    applications = 20_000 if args.quick else 200_000
    with start_test_servers(with_nats=False) as servers, tempfile.TemporaryDirectory() as tmp:
        db = servers.new_database("bench_query_tools")
        t0 = time.perf_counter()
        report = seed(db.owner_url, applications=applications, tenants=3, seed=5, progress=False)
        with psycopg.connect(db.owner_url, autocommit=True) as conn:
            conn.execute("analyze")
            row = conn.execute(
                "select tenant_id, count(*) from applications group by 1 order by 2 desc limit 1"
            ).fetchone()
        assert row is not None
        tenant, tenant_apps = row
        console.print(
            f"seeded {applications:,} applications ({tenant}: {tenant_apps:,}) in {time.perf_counter() - t0:.1f}s"
        )
        keys = ensure_demo_keys(db.owner_url, Path(tmp) / "keys.json", list(report.tenants))
        with TestClient(create_app(load_settings(), db.app_url)) as client:
            log_figures, log_rows = bench_shape_log(client, keys[tenant]["admin"], tenant, 100 if args.quick else 400)
        adv_figures, adv_rows, advice = bench_advisor(
            db.owner_url, tenant, 3 if args.quick else 5, 2 if args.quick else 3
        )
    t1 = Table(title="/v1/query with the shape log off and on, ms (median, in-process ASGI)")
    for col in ("query", "off", "on", "overhead % (median of paired ratios)"):
        t1.add_column(col, justify="left" if col == "query" else "right")
    for name, a, b, pct in log_rows:
        t1.add_row(name, f"{a:.3f}", f"{b:.3f}", f"{pct:+.2f}")
    console.print(t1)
    t2 = Table(title=f"suite without / with the advisor's {len(advice.proposals)} indexes, ms (median; {tenant})")
    for col in ("query", "before", "after", "speed-up"):
        t2.add_column(col, justify="left" if col == "query" else "right")
    for name, a, b, r in sorted(adv_rows, key=lambda x: -x[3]):
        t2.add_row(name, f"{a:.2f}", f"{b:.2f}", f"×{r:.2f}")
    console.print(t2)
    for p in advice.proposals:
        console.print(f"{p.gain:6.1%}  {p.ddl}")
    out = {**log_figures, **adv_figures, "applications": applications, "tenant_applications": tenant_apps}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
