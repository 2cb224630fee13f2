"""TPC-H yardstick: compile latency of the 22 queries in the language, and execution of the compiled SQL
against the spec's SQL on the same DuckDB connection.

* **Compile** — each written query compiled cold (empty cache) ``reps`` times; per-query median, and the p50
  over every cold compile (``tpch_compile_p50_us``).
* **Execution** — the compiled SQL (tenant predicate on every scan) and the reference SQL run alternately on
  the same tables at scale factor 0.1 (one tenant; ``--quick``: 0.01), until ``min_time`` and ``reps`` are
  both reached; the figure is median(compiled) / median(reference) per query, reported as geometric mean
  and maximum. Answers are compared as in ``tests/tpch`` (``tpch_correct``: queries that answer exactly).

Data: ``tpchgen-cli`` (the dbgen generator's rows), loaded by ``tests/tpch/data.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package holds the TPC-H model

from tests.tpch.data import MODEL, SCHEMA, generate, load, normalized, use_tenant
from tests.tpch.queries import QUERIES, Query

from pavedroad.query import Compiler

console = Console(stderr=True)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))]


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def bench_compile(queries: list[Query], reps: int) -> tuple[dict[int, float], list[float]]:
    compiler = Compiler()
    for q in queries:  # warm up imports and the parser once
        compiler.compile(q.dsl or "", model=MODEL, schema=SCHEMA, dialect="duckdb")
    per_query: dict[int, float] = {}
    every: list[float] = []
    for q in queries:
        times = []
        for _ in range(reps):
            compiler.clear()
            t = time.perf_counter()
            compiler.compile(q.dsl or "", model=MODEL, schema=SCHEMA, dialect="duckdb")
            times.append(time.perf_counter() - t)
        per_query[q.number] = statistics.median(times)
        every += times
    return per_query, every


def _timed(con: Any, sql: str, params: dict[str, Any] | None) -> tuple[float, list[tuple[Any, ...]]]:
    t = time.perf_counter()
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return time.perf_counter() - t, rows


def bench_exec(con: Any, q: Query, reps: int, min_time: float) -> tuple[float, float, bool]:
    """Median seconds of the compiled and the reference SQL, alternating, and whether they answer alike."""
    compiled = Compiler().compile(q.dsl or "", model=MODEL, schema=SCHEMA, dialect="duckdb")
    ours: list[float] = []
    ref: list[float] = []
    _, got = _timed(con, compiled.sql, compiled.params)  # warm both once
    _, want = _timed(con, q.reference, None)
    start = time.perf_counter()
    while len(ours) < reps or time.perf_counter() - start < min_time:
        ours.append(_timed(con, compiled.sql, compiled.params)[0])
        ref.append(_timed(con, q.reference, None)[0])
    return statistics.median(ours), statistics.median(ref), normalized(got) == normalized(want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scale factor 0.01, fewer repetitions (< 30 s)")
    parser.add_argument("--sf", type=float, default=None, help="scale factor (default 0.1; --quick 0.01)")
    args = parser.parse_args()
    sf = args.sf or (0.01 if args.quick else 0.1)
    reps = 3 if args.quick else 5
    written = [q for q in QUERIES if q.dsl is not None]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        con = duckdb.connect()
        load(con, generate(sf, Path(tmp)))
        use_tenant(con)
        console.print(f"generated and loaded TPC-H SF {sf:g} in {time.perf_counter() - t0:.1f}s")
        per_query, every = bench_compile(written, 20 if args.quick else 100)
        rows = []
        for q in written:
            ours, ref, same = bench_exec(con, q, reps, 0.05 if args.quick else 0.5)
            rows.append((q.number, per_query[q.number] * 1e6, ours * 1e3, ref * 1e3, ours / ref, same))
        con.close()
    table = Table(title=f"TPC-H SF {sf:g} on DuckDB {duckdb.__version__}: compiled vs spec SQL (medians)")
    for col in ("query", "compile µs", "compiled ms", "spec ms", "ratio", "answer"):
        table.add_column(col, justify="left" if col == "query" else "right")
    for n, comp, ours, ref, ratio, same in rows:
        table.add_row(f"Q{n}", f"{comp:.0f}", f"{ours:.2f}", f"{ref:.2f}", f"{ratio:.3f}", "ok" if same else "WRONG")
    for q in QUERIES:
        if q.dsl is None:
            table.add_row(f"Q{q.number}", "—", "—", "—", "—", f"not yet: {q.blocked}")
    console.print(table)
    ratios = [r[4] for r in rows]
    out = {
        "tpch_correct": sum(r[5] for r in rows),
        "tpch_written": len(written),
        "tpch_exec_vs_reference_geomean": round(geomean(ratios), 3),
        "tpch_exec_vs_reference_max": round(max(ratios), 3),
        "tpch_compile_p50_us": round(pct(every, 0.5) * 1e6, 1),
        "tpch_compile_p99_us": round(pct(every, 0.99) * 1e6, 1),
        "scale_factor": sf,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
