"""Recruiting data generator: COPY loader throughput against a plain ``executemany``, and demo start-up.

* **pavedroad** — ``pavedroad.recruiting.generator.seed``: column-wise generation (numpy, Arrow), CSV
  COPY streamed on two connections, foreign keys verified set-wise before commit.
* **executemany baseline** — the same generated rows (same generator, same seed), inserted with psycopg's
  ``cursor.executemany`` (pipelined) table by table, one transaction, row-wise FK checks: what a script
  without a bulk loader does. Both measured end to end (generation included) into fresh databases of the
  same embedded server, alternating, medians reported.

Then one large seed (1M applications; ``--quick``: 100k) for ``seed_rows_per_s``, and the time until
``pavedroad demo --no-traffic`` answers ``/readyz`` with 200: cold (empty data dir: initdb, migrate, seed
20k applications) and warm (the same data dir again); each demo is stopped with SIGINT and must exit 0.
The embedded Postgres uses the default server settings, as ``pavedroad demo`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from pavedroad.db import EmbeddedPostgres, free_port, migrate, with_database
from pavedroad.recruiting.generator import plan_tenants, seed
from pavedroad.recruiting.generator.application_rows import build_chunk
from pavedroad.recruiting.generator.columns import Batch, Ids
from pavedroad.recruiting.generator.plan import chunk_sizes
from pavedroad.recruiting.generator.tenant_rows import build_world
from pavedroad.stack import all_migration_sources

console = Console(stderr=True)
ROOT = Path(__file__).resolve().parents[1]


class Databases:
    """Fresh migrated databases cloned from a template on one embedded server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.count = 0
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("drop database if exists bench_template")
            conn.execute("create database bench_template")
        migrate(with_database(admin_url, "bench_template"), all_migration_sources())

    def fresh(self) -> str:
        self.count += 1
        name = f"bench_{self.count}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("create database {} template bench_template").format(sql.Identifier(name)))
        return with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def executemany_load(url: str, applications: int, tenants: int, seed_value: int) -> int:
    """The baseline: same generator, rows inserted with executemany; returns rows loaded."""
    rows = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("set timezone = 'UTC'")
        ids = Ids({})

        def load(batch: Batch) -> None:
            nonlocal rows
            for name, table in batch.tables:
                columns = table.column_names
                statement = sql.SQL("insert into {} ({}) values ({})").format(
                    sql.Identifier(name),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                )
                values = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
                cur.executemany(statement, values)
                rows += len(values)

        for plan in plan_tenants(applications, tenants, seed_value):
            world, setup = build_world(plan, seed_value, ids)
            load(setup)
            for chunk, size in enumerate(chunk_sizes(plan.applications)):
                load(build_chunk(world, seed_value, chunk, size, ids))
        conn.commit()
    return rows


def compare(dbs: Databases, applications: int, rounds: int) -> dict[str, float]:
    ours: list[float] = []
    base: list[float] = []
    for _ in range(rounds):
        url = dbs.fresh()
        started = time.perf_counter()
        report = seed(url, applications=applications, tenants=3, seed=1, progress=False)
        ours.append(report.total_rows / (time.perf_counter() - started))
        dbs.drop(url)
        url = dbs.fresh()
        started = time.perf_counter()
        loaded = executemany_load(url, applications, 3, 1)
        base.append(loaded / (time.perf_counter() - started))
        dbs.drop(url)
        console.log(f"  round: seed {ours[-1]:,.0f} rows/s, executemany {base[-1]:,.0f} rows/s")
    return {"ours": statistics.median(ours), "base": statistics.median(base)}


def demo_ready(data_dir: Path) -> float:
    """Seconds from starting ``pavedroad demo`` until /readyz answers 200; then SIGINT, after which the
    process must exit on its own (0, or 130 = "ended by Ctrl-C") with its Postgres and NATS stopped."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAVEDROAD_")}
    env["PAVEDROAD_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "pavedroad"), "demo", "--no-traffic", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=data_dir,
    )
    ready = None
    try:
        with httpx.Client(timeout=0.5) as client:
            while time.perf_counter() - started < 300 and proc.poll() is None:
                try:
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        ready = time.perf_counter() - started
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    left = [p for p in (data_dir / "postgres" / "postmaster.pid", data_dir / "nats" / "server.json") if p.exists()]
    if ready is None or code not in {0, 130} or left:
        raise SystemExit(
            f"pavedroad demo did not become ready and stop cleanly (exit {code}, left running: {left}):\n"
            f"{stderr[-2000:]}"
        )
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller runs, under a minute")
    args = parser.parse_args()
    compare_apps, rounds, big = (3_000, 3, 100_000) if args.quick else (20_000, 5, 1_000_000)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pavedroad-bench-seed-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "server")
        try:
            dbs = Databases(server.start())
            console.log(f"seed vs executemany, {compare_apps:,} applications, {rounds} rounds (alternating)")
            medians = compare(dbs, compare_apps, rounds)
            url = dbs.fresh()
            console.log(f"seeding {big:,} applications over 10 tenants…")
            report = seed(url, applications=big, tenants=10, seed=1, progress=False)
            dbs.drop(url)
        finally:
            server.stop()
        demo_dir = Path(tmp) / "demo"
        demo_dir.mkdir()
        console.log("pavedroad demo: cold start (initdb, migrate, seed 20k applications)…")
        cold = demo_ready(demo_dir)
        console.log("pavedroad demo: warm start (same data dir)…")
        warm = statistics.median(demo_ready(demo_dir) for _ in range(1 if args.quick else 3))

    results["seed_rows_per_s"] = round(report.rows_per_second)
    results["seed_small_rows_per_s"] = round(medians["ours"])
    results["executemany_rows_per_s"] = round(medians["base"])
    results["seed_vs_executemany_ratio"] = round(medians["ours"] / medians["base"], 2)
    results["seed_rows_per_application"] = round(report.total_rows / big, 2)
    results["demo_ready_s"] = round(warm, 2)
    results["demo_cold_ready_s"] = round(cold, 2)
    if args.quick:
        results["seed_100k_applications_s"] = round(report.seconds, 1)
    else:
        results["seed_1m_applications_s"] = round(report.seconds, 1)

    table = Table(title="recruiting data generator")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in results.items():
        table.add_row(name, f"{value:,}")
    Console().print(table)
    print(json.dumps(results))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
