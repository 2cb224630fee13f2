"""Past one machine: the query suite on ClickHouse (in-process, chdb) against DuckDB, and identical answers.

* **Answers** — every suite query (``benchmarks/query_suite.yaml``) for every tenant, compiled for and run
  on Postgres (``tenancy.transaction``, row-level security on), DuckDB and ClickHouse over the same rows;
  ``engines_identical_answers`` is true when all three return the same row multiset for every pair
  (floats to 6 significant digits, instants compared in UTC), or all three refuse it alike (an answer
  past the 10,000-row cap, ``answers_refused_alike``).
* **Execution** — for the largest tenant, each query's compiled DuckDB SQL and compiled ClickHouse SQL run
  alternately (order swapped every round, the first round dropped); ``clickhouse_vs_duckdb_exec_geomean``
  is the geometric mean over queries of median(ClickHouse) / median(DuckDB) (lower favours ClickHouse).
  Compilation and parameter encoding happen before the clock starts; both return Arrow tables.

Data: ``pavedroad.recruiting.generator.seed`` over 3 tenants — 300k applications (``--quick``: 20k),
copied into DuckDB through Arrow and from there, as Parquet, into ClickHouse.
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

from pavedroad.query import (
    Compiler,
    QueryLimitError,
    RunOptions,
    load_tenant_schema,
    run_clickhouse_unrestricted,
    run_duckdb_unrestricted,
    run_unrestricted,
)
from pavedroad.query.clickhouse import ClickHouseTables, encode_params
from pavedroad.query.warehouse_copy import copy_tables
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import comparable_rows, start_test_servers

console = Console(stderr=True)
SUITE = yaml.safe_load((Path(__file__).resolve().parent / "query_suite.yaml").read_text())
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def _answer(run: Any) -> Any:
    """The normalized rows, or the refusal's code (an answer past the row cap is refused alike everywhere)."""
    try:
        return comparable_rows(run().rows)
    except QueryLimitError as exc:
        return exc.code


def bench_answers(pool: ConnectionPool, duck: Any, ch: ClickHouseTables, schemas: dict[str, Any]) -> dict[str, Any]:
    """Every suite query for every tenant on the three engines; the names of any that differ."""
    model = recruiting_model()
    differing, refused = [], 0
    for tenant, schema in schemas.items():
        principal = Principal(tenant, None, Role.ADMIN)
        for case in SUITE:
            text = case["dsl"]
            options = RunOptions(now=NOW)
            pg = _answer(lambda: run_unrestricted(pool, principal, text, model=model, options=options))  # noqa: B023
            dk = _answer(lambda: run_duckdb_unrestricted(duck, schema, "admin", text, model=model, options=options))  # noqa: B023
            cl = _answer(lambda: run_clickhouse_unrestricted(ch, schema, "admin", text, model=model, options=options))  # noqa: B023
            refused += isinstance(pg, str)
            if not pg == dk == cl:
                differing.append(f"{tenant}/{case['name']}")
    return {"engines_identical_answers": not differing, "answers_compared": len(schemas) * len(SUITE),
            "answers_refused_alike": refused, "answers_differing": differing}  # fmt: skip


def bench_exec(
    duck: Any, ch: ClickHouseTables, schema: Any, *, reps: int, min_time: float
) -> tuple[dict[str, Any], list[list[Any]]]:
    """Compiled DuckDB vs compiled ClickHouse execution, interleaved, per suite query."""
    model = recruiting_model()
    compiler = Compiler()
    duck.execute(f"SET TimeZone = '{schema.time_zone}'")
    ratios, rows = [], []
    for case in SUITE:
        on_duck = compiler.compile(case["dsl"], model=model, schema=schema, dialect="duckdb", now=NOW)
        on_ch = compiler.compile(case["dsl"], model=model, schema=schema, dialect="clickhouse", now=NOW)
        ch_params = encode_params(on_ch.sql, on_ch.params)

        def run_duck(sql: str = on_duck.sql, params: dict[str, Any] = on_duck.params) -> None:
            duck.sql(sql, params=params).to_arrow_table()

        def run_ch(sql: str = on_ch.sql, params: dict[str, str] = ch_params) -> None:
            ch.arrow(sql, params, schema.time_zone)

        times: dict[str, list[float]] = {"duckdb": [], "clickhouse": []}
        i = 0
        while i <= reps or (min(sum(v) for v in times.values()) < min_time and i < 200):
            for name in ("duckdb", "clickhouse") if i % 2 else ("clickhouse", "duckdb"):
                t = time.perf_counter()
                (run_duck if name == "duckdb" else run_ch)()
                if i:
                    times[name].append(time.perf_counter() - t)
            i += 1
        med = {k: statistics.median(v) for k, v in times.items()}
        ratios.append(med["clickhouse"] / med["duckdb"])
        rows.append([case["name"], med["duckdb"] * 1e3, med["clickhouse"] * 1e3, ratios[-1]])
    return {
        "clickhouse_vs_duckdb_exec_geomean": round(geomean(ratios), 3),
        "clickhouse_vs_duckdb_exec_max": round(max(ratios), 3),
        "clickhouse_vs_duckdb_exec_min": round(min(ratios), 3),
    }, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k applications, fewer repetitions (< 2 min)")
    args = parser.parse_args()
    applications = 20_000 if args.quick else 300_000
    reps = 3 if args.quick else 5
    model = recruiting_model()
    with start_test_servers(with_nats=False) as servers:
        db = servers.new_database("bench_scale")
        t0 = time.perf_counter()
        report = seed(db.owner_url, applications=applications, tenants=3, seed=5, progress=False)
        with psycopg.connect(db.owner_url, autocommit=True) as conn:
            conn.execute("analyze")
            tenant = conn.execute(
                "select tenant_id from applications group by 1 order by count(*) desc limit 1"
            ).fetchone()[0]  # type: ignore[index]
            tenant_apps = conn.execute("select count(*) from applications where tenant_id = %s", (tenant,)).fetchone()[
                0
            ]  # type: ignore[index]
            duck = copy_tables(conn, model)  # every tenant's rows; each compiled query scopes to its tenant
        console.print(
            f"seeded {applications:,} applications ({tenant}: {tenant_apps:,}) in {time.perf_counter() - t0:.1f}s"
        )
        t1 = time.perf_counter()
        with ClickHouseTables() as ch:
            ch.load_from_duckdb(duck, model)
            load_s = time.perf_counter() - t1
            with ConnectionPool(db.app_url, min_size=1, max_size=2, open=True) as pool:
                schemas = {}
                for t in report.tenants:
                    with transaction(pool, Principal(t, None, Role.ADMIN)) as conn:
                        schemas[t] = load_tenant_schema(conn, t)
                answers = bench_answers(pool, duck, ch, schemas)
            exec_figures, rows = bench_exec(duck, ch, schemas[tenant], reps=reps, min_time=0.05 if args.quick else 0.3)
        duck.close()
    table = Table(title=f"compiled suite, exec ms (median; tenant {tenant}, {tenant_apps:,} applications)")
    for col in ("query", "duckdb", "clickhouse", "ch / duck"):
        table.add_column(col, justify="right" if col != "query" else "left")
    for r in rows:
        table.add_row(r[0], *(f"{v:.2f}" for v in r[1:]))
    console.print(table)
    if answers["answers_differing"]:
        console.print(f"answers differ: {answers['answers_differing']}")
    out = {**exec_figures, **answers, "suite_queries": len(SUITE), "applications": applications,
           "tenant_applications": tenant_apps, "clickhouse_load_s": round(load_s, 2)}  # fmt: skip
    print(json.dumps(out))


if __name__ == "__main__":
    main()
