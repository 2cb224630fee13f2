"""Event pipeline: relay throughput, commit-to-warehouse latency, columnar sink vs executemany, outbox cost.

Everything runs against real embedded Postgres and NATS JetStream started for this run (the test
servers: Postgres with fsync off, so absolute commit times are optimistic; ratios hold). Baselines, in
the same run and interleaved:

* **relay** — pavedroad's relay (SQL-built JSON, pipelined ``publish_async``, one UPDATE per batch) vs a
  hand-written relay that publishes each row with ``js.publish`` and waits for its ack;
* **latency** — commit to visible in DuckDB at a steady ~1k events/s (writers here, relay and sink in
  their own processes as deployed; p50/p99 over every event); the seed's target for integrations was 2 min;
* **sink** — ``Warehouse.load`` (Arrow micro-batches, set-based upserts) vs DuckDB ``executemany`` of the
  same rows into the same tables;
* **outbox** — the same domain write (move an application: UPDATE + INSERT transition) with and without
  ``events.aappend`` in its transaction, interleaved pair by pair.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import nats
import psycopg
from psycopg_pool import AsyncConnectionPool
from rich.console import Console
from rich.table import Table

from pavedroad.events import Event, EventsConfig, Relay, aappend, aappend_many, ensure_streams
from pavedroad.events.relay import CLAIM_SQL, MARK_SQL
from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS, ApplicationCreated, StageMoved
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import TestDatabase, start_test_servers
from pavedroad.warehouse import LoadResult, Warehouse

console = Console(stderr=True)
SCRIPT = str(Path(__file__).resolve())
TENANT = "acme"


def seed(owner_url: str, applications: int) -> dict[str, Any]:
    """One tenant, one job with two stages, ``applications`` applications."""
    with psycopg.connect(owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values (%s, 'Acme')", (TENANT,))
        dep = conn.execute("insert into departments (tenant_id, name) values (%s, 'Eng') returning id", (TENANT,))
        loc = conn.execute(
            "insert into locations (tenant_id, name, country) values (%s, 'Remote', 'US') returning id", (TENANT,)
        )
        dep_id, loc_id = dep.fetchone()[0], loc.fetchone()[0]  # type: ignore[index]
        job = conn.execute(
            "insert into jobs (tenant_id, title, department_id, location_id) values (%s, 'Eng', %s, %s) returning id",
            (TENANT, dep_id, loc_id),
        ).fetchone()[0]  # type: ignore[index]
        stages = [
            conn.execute(
                "insert into job_stages (tenant_id, job_id, position, name, stage_type) values (%s, %s, %s, %s, %s)"
                " returning id",
                (TENANT, job, pos, name, kind),
            ).fetchone()[0]  # type: ignore[index]
            for pos, (name, kind) in enumerate([("Review", "application_review"), ("Screen", "phone_screen")])
        ]
        cand = conn.execute(
            "insert into candidates (tenant_id, first_name, last_name, email) values (%s, 'A', 'B', 'a@b.c')"
            " returning id",
            (TENANT,),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "insert into applications (tenant_id, candidate_id, job_id, current_stage_id)"
            " select %s, %s, %s, %s from generate_series(1, %s)",
            (TENANT, cand, job, stages[0], applications),
        )
        ids = [r[0] for r in conn.execute("select id from applications order by id").fetchall()]
    return {"job": job, "stages": stages, "candidate": cand, "applications": ids}


def prefill_outbox(owner_url: str, n: int) -> None:
    with psycopg.connect(owner_url) as conn:
        conn.execute(
            "insert into event_outbox (tenant_id, event_id, seq, event_type, schema_version, aggregate_type,"
            " aggregate_id, occurred_at, payload, classification)"
            " select %s, gen_random_uuid(), nextval('pavedroad_meta.event_outbox_seq'), 'ticked', 1, 'clock',"
            " (g %% 1000)::text, now(), jsonb_build_object('n', g, 'note', repeat('x', 200)), '{}'"
            " from generate_series(1, %s) g",
            (TENANT, n),
        )


def unique_config(**extra: Any) -> EventsConfig:
    tag = uuid.uuid4().hex[:8]
    return EventsConfig(subject_prefix=f"b{tag}", stream=f"B{tag}", relay_poll_s=0.01, **extra)


# --- relay ---------------------------------------------------------------------------------------------


async def relay_pavedroad(db: TestDatabase, nats_url: str, n: int) -> float:
    prefill_outbox(db.owner_url, n)
    relay = Relay(db.owner_url, nats_url, unique_config())
    await relay.connect()
    try:
        started = time.perf_counter()
        done = 0
        while done < n:
            done += await relay.step()
        return n / (time.perf_counter() - started)
    finally:
        await relay.close()


async def relay_naive(db: TestDatabase, nats_url: str, n: int) -> float:
    """What a hand-written relay does: publish each row and wait for its ack, then mark the batch."""
    prefill_outbox(db.owner_url, n)
    config = unique_config()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js, config)
    conn = await psycopg.AsyncConnection.connect(db.owner_url, autocommit=True)
    try:
        started = time.perf_counter()
        done = 0
        while done < n:
            rows = await (await conn.execute(CLAIM_SQL, (1, 0, 1000))).fetchall()
            for _seq, tenant, aggregate, etype, event_id, body in rows:
                await js.publish(
                    f"{config.subject_prefix}.{tenant}.{aggregate}.{etype}",
                    body.encode(),
                    headers={"Nats-Msg-Id": event_id},
                )
            await conn.execute(MARK_SQL, ([r[0] for r in rows],))
            done += len(rows)
        return n / (time.perf_counter() - started)
    finally:
        await conn.close()
        await nc.close()


# --- commit to warehouse ---------------------------------------------------------------------------------


async def latency(db: TestDatabase, nats_url: str, *, seconds: float, rate: int, tmp: Path) -> list[float]:
    """Writers here; the relay and the sink in their own processes (as deployed). The sink child appends
    ``event_id loaded_at`` after each DuckDB commit; latency = that time minus the writer's commit time."""
    config = unique_config(sink_max_wait_s=0.02)
    env = {
        **os.environ,
        "PAVEDROAD_EVENTS_SUBJECT_PREFIX": config.subject_prefix,
        "PAVEDROAD_EVENTS_STREAM": config.stream,
        "PAVEDROAD_EVENTS_RELAY_POLL_S": "0.01",
        "PAVEDROAD_EVENTS_SINK_MAX_WAIT_S": "0.02",
    }
    loaded_file = tmp / "loaded.txt"
    children = await asyncio.to_thread(
        _spawn,
        [
            ["relay", db.owner_url, nats_url],
            ["sink", db.owner_url, nats_url, str(tmp / "latency.duckdb"), str(loaded_file)],
        ],
        env,
    )
    committed: dict[str, float] = {}
    pool = AsyncConnectionPool(db.app_url, min_size=4, max_size=4, open=False)
    await pool.open(wait=True)
    principal = Principal(TENANT, None, Role.ADMIN)
    writers, per_tx = 4, 5
    interval = writers * per_tx / rate

    async def writer(w: int, run_for: float, record: bool) -> None:
        deadline = time.monotonic() + run_for
        tick = time.monotonic()
        n = 0
        while time.monotonic() < deadline:
            events = [
                Event(
                    type="ticked",
                    tenant_id=TENANT,
                    aggregate_type="clock",
                    aggregate_id=f"{w}-{n % 50}",
                    payload={"n": n},
                )
                for _ in range(per_tx)
            ]
            async with atransaction(pool, principal) as tx:
                await aappend_many(tx, events)
            now = time.time()
            if record:
                for e in events:
                    committed[str(e.id)] = now
            n += 1
            tick += interval
            await asyncio.sleep(max(0.0, tick - time.monotonic()))

    try:
        # warm up until events flow end to end (the children need seconds to start on a busy machine)
        for _ in range(60):
            await asyncio.gather(*(writer(w, 1.0, record=False) for w in range(writers)))
            if await asyncio.to_thread(_flowing, loaded_file):
                break
        await asyncio.gather(*(writer(w, seconds, record=True) for w in range(writers)))
        await asyncio.sleep(2.0)
    finally:
        await asyncio.to_thread(_stop, children)
        await pool.close()
    return await asyncio.to_thread(_latencies, loaded_file, committed)


def _spawn(args: list[list[str]], env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, SCRIPT, "--child", *a], env=env) for a in args]


def _flowing(loaded_file: Path) -> bool:
    return loaded_file.exists() and loaded_file.stat().st_size > 0


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for proc in children:
        proc.send_signal(signal.SIGTERM)
    for proc in children:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _latencies(loaded_file: Path, committed: dict[str, float]) -> list[float]:
    out = []
    for line in loaded_file.read_text().splitlines():
        event_id, at = line.split()
        start = committed.get(event_id)
        if start is not None:
            out.append((float(at) - start) * 1000)
    return out


def child(argv: list[str]) -> None:
    """``--child relay OWNER NATS`` or ``--child sink OWNER NATS DUCKDB LOADED_FILE``."""
    from pavedroad.events import run_relay
    from pavedroad.warehouse import run_sink

    kind, owner_url, nats_url = argv[:3]
    config = EventsConfig()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if kind == "relay":
        asyncio.run(run_relay(owner_url, nats_url, config))
        return
    out = Path(argv[4]).open("a")  # noqa: SIM115 - lives as long as this process

    def on_loaded(result: LoadResult) -> None:
        now = time.time()
        out.write("".join(f"{i} {now}\n" for i in result.event_ids))
        out.flush()

    asyncio.run(
        run_sink(
            nats_url, argv[3], projections=PROJECTIONS, table_names=MIRRORED_TABLES, config=config, on_loaded=on_loaded
        )
    )


# --- sink vs executemany -------------------------------------------------------------------------------


def sink_messages(n_apps: int) -> list[tuple[int, bytes | None, str]]:
    out: list[tuple[int, bytes | None, str]] = []
    now = "2026-01-01T00:00:00+00:00"
    seq = 0
    for app in range(1, n_apps + 1):
        for event in (
            ApplicationCreated(
                application_id=app,
                candidate_id=app,
                job_id=1,
                source_id=None,
                stage_id=1,
                transition_id=2 * app,
                applied_at=now,
            ).to_event(TENANT, aggregate_id=app),
            StageMoved(
                application_id=app, transition_id=2 * app + 1, from_stage_id=1, to_stage_id=2, moved_at=now
            ).to_event(TENANT, aggregate_id=app),
        ):
            seq += 1
            out.append((seq, event.to_json(), "s"))
    return out


def sink_columnar(owner_url: str, messages: list[tuple[int, bytes | None, str]], path: Path) -> float:
    with Warehouse.open(path, owner_url=owner_url, table_names=MIRRORED_TABLES, projections=PROJECTIONS) as wh:
        started = time.perf_counter()
        for i in range(0, len(messages), 5000):
            wh.load(messages[i : i + 5000])
        elapsed = time.perf_counter() - started
    return len(messages) / elapsed


def sink_executemany(owner_url: str, messages: list[tuple[int, bytes | None, str]], path: Path) -> float:
    """Same events, same tables, row by row: INSERT ... ON CONFLICT / UPDATE via executemany."""
    with Warehouse.open(path, owner_url=owner_url, table_names=MIRRORED_TABLES, projections=PROJECTIONS) as wh:
        duck: duckdb.DuckDBPyConnection = wh.duck
        started = time.perf_counter()
        for i in range(0, len(messages), 5000):
            chunk = [Event.from_json(m[1]) for m in messages[i : i + 5000] if m[1] is not None]
            apps = [e.payload for e in chunk if e.type == "application_created"]
            moves = [e.payload for e in chunk if e.type == "stage_moved"]
            duck.execute("BEGIN TRANSACTION")
            duck.executemany(
                "insert into applications (tenant_id, id, candidate_id, job_id, source_id, current_stage_id, status,"
                " applied_at, last_activity_at, custom) values (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)"
                " on conflict do update set current_stage_id = excluded.current_stage_id",
                [
                    (
                        TENANT,
                        p["application_id"],
                        p["candidate_id"],
                        p["job_id"],
                        p["source_id"],
                        p["stage_id"],
                        p["applied_at"],
                        p["applied_at"],
                        json.dumps(p["custom"]),
                    )
                    for p in apps
                ],
            )
            duck.executemany(
                "insert into stage_transitions (tenant_id, id, application_id, from_stage_id, to_stage_id, moved_at,"
                " moved_by) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
                [
                    (TENANT, p["transition_id"], p["application_id"], None, p["stage_id"], p["applied_at"], None)
                    for p in apps
                ]
                + [
                    (
                        TENANT,
                        p["transition_id"],
                        p["application_id"],
                        p["from_stage_id"],
                        p["to_stage_id"],
                        p["moved_at"],
                        p["moved_by"],
                    )
                    for p in moves
                ],
            )
            duck.executemany(
                "update applications set current_stage_id = ?, last_activity_at = ? where tenant_id = ? and id = ?",
                [(p["to_stage_id"], p["moved_at"], TENANT, p["application_id"]) for p in moves],
            )
            duck.execute("COMMIT")
        elapsed = time.perf_counter() - started
    return len(messages) / elapsed


# --- outbox overhead -----------------------------------------------------------------------------------


async def outbox_overhead(db: TestDatabase, world: dict[str, Any], pairs: int) -> tuple[float, float]:
    pool = AsyncConnectionPool(db.app_url, min_size=1, max_size=1, open=False)
    await pool.open(wait=True)
    principal = Principal(TENANT, None, Role.RECRUITER)
    apps, stages = world["applications"], world["stages"]
    without: list[float] = []
    with_outbox: list[float] = []

    async def move(i: int, emit: bool) -> float:
        app, to = apps[i % len(apps)], stages[i % 2]
        started = time.perf_counter()
        async with atransaction(pool, principal) as tx:
            await tx.execute(
                "update applications set current_stage_id = %s, last_activity_at = now() where tenant_id = %s"
                " and id = %s",
                (to, TENANT, app),
            )
            row = await (
                await tx.execute(
                    "insert into stage_transitions (tenant_id, application_id, to_stage_id, moved_at)"
                    " values (%s, %s, %s, now()) returning id",
                    (TENANT, app, to),
                )
            ).fetchone()
            if emit:
                assert row is not None
                await aappend(
                    tx,
                    StageMoved(
                        application_id=app,
                        transition_id=row[0],
                        from_stage_id=None,
                        to_stage_id=to,
                        moved_at="2026-01-01T00:00:00+00:00",
                    ).to_event(TENANT, aggregate_id=app),
                )
        return (time.perf_counter() - started) * 1000

    try:
        for i in range(50):  # warm-up
            await move(i, i % 2 == 0)
        for i in range(pairs):
            first = i % 2 == 0  # alternate which variant goes first in each pair
            a = await move(2 * i, first)
            b = await move(2 * i + 1, not first)
            (with_outbox if first else without).append(a)
            (without if first else with_outbox).append(b)
    finally:
        await pool.close()
    return statistics.median(without), statistics.median(with_outbox)


def pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else None


async def main(quick: bool) -> dict[str, Any]:
    relay_n = 10_000 if quick else 100_000
    rounds = 2 if quick else 3
    latency_s = 3.0 if quick else 20.0
    sink_apps = 5_000 if quick else 50_000
    pairs = 200 if quick else 2000
    results: dict[str, Any] = {}
    with start_test_servers() as servers, tempfile.TemporaryDirectory(prefix="pr-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        assert servers.nats_url is not None
        db = servers.new_database("bench")
        world = seed(db.owner_url, 2000)
        console.print("relay throughput…")
        ours, naive = [], []
        for _ in range(rounds):
            ours.append(await relay_pavedroad(db, servers.nats_url, relay_n))
            naive.append(await relay_naive(db, servers.nats_url, relay_n // 4))
        console.print("commit → warehouse latency at ~1k events/s…")
        lat = await latency(db, servers.nats_url, seconds=latency_s, rate=1000, tmp=tmp)
        console.print("sink: columnar vs executemany…")
        messages = sink_messages(sink_apps)
        col, many = [], []
        for r in range(rounds):
            col.append(sink_columnar(db.owner_url, messages, tmp / f"col{r}.duckdb"))
            # executemany is ~100x slower: a slice keeps the run short (rows/s is per row either way)
            many.append(sink_executemany(db.owner_url, messages[:1000], tmp / f"many{r}.duckdb"))
        console.print("outbox overhead per domain transaction…")
        base_ms, outbox_ms = await outbox_overhead(db, world, pairs)
        servers.drop_database(db)
    results = {
        "relay_events_per_s": round(statistics.median(ours)),
        "relay_naive_events_per_s": round(statistics.median(naive)),
        "relay_vs_naive_ratio": round(statistics.median(ours) / statistics.median(naive), 2),
        "commit_to_warehouse_p50_ms": pct(lat, 0.50),
        "commit_to_warehouse_p99_ms": pct(lat, 0.99),
        "commit_to_warehouse_events": len(lat),
        "sink_rows_per_s": round(statistics.median(col)),
        "executemany_rows_per_s": round(statistics.median(many)),
        "sink_vs_executemany_ratio": round(statistics.median(col) / statistics.median(many), 1),
        "domain_tx_ms": round(base_ms, 3),
        "domain_tx_with_outbox_ms": round(outbox_ms, 3),
        "outbox_overhead_ms": round(outbox_ms - base_ms, 3),
    }
    return results


def report(results: dict[str, Any]) -> None:
    table = Table(title="events benchmark (medians; targets in brackets)")
    table.add_column("measure")
    table.add_column("pavedroad", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row(
        "relay events/s [≥10k]",
        f"{results['relay_events_per_s']:,}",
        f"{results['relay_naive_events_per_s']:,} (publish+await per row)",
        f"{results['relay_vs_naive_ratio']}x",
    )
    table.add_row(
        "commit→DuckDB p50 / p99 ms @1k/s [p99 ≤250]",
        f"{results['commit_to_warehouse_p50_ms']} / {results['commit_to_warehouse_p99_ms']}",
        "2 min (seed target)",
        "",
    )
    table.add_row(
        "sink rows/s",
        f"{results['sink_rows_per_s']:,}",
        f"{results['executemany_rows_per_s']:,} (executemany)",
        f"{results['sink_vs_executemany_ratio']}x",
    )
    table.add_row(
        "domain tx ms, with outbox [overhead ≤0.5]",
        f"{results['domain_tx_with_outbox_ms']}",
        f"{results['domain_tx_ms']} (no outbox)",
        f"+{results['outbox_overhead_ms']} ms",
    )
    Console().print(table)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="Smaller runs (under a minute).")
    args = parser.parse_args()
    out = asyncio.run(main(args.quick))
    report(out)
    sys.stdout.flush()
    print(json.dumps(out))
