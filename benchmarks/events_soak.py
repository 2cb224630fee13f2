"""Soak: the relay and the warehouse sink are SIGKILLed at random for minutes while writes go on; at the
end every committed event is in the stream once and in the warehouse once.

The relay and the sink run as child processes of this script (``--child relay|sink``: ``run_relay`` and
``run_sink``, what a worker runs) against embedded servers started for this run. The integration test does
the same in ~40 s; this runs longer (default 5 minutes, ``--quick`` 45 s). Last line: JSON with the counts
(``lost_events`` and ``duplicate_events`` must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import nats
import psycopg
from psycopg_pool import AsyncConnectionPool
from rich.console import Console

from pavedroad.recruiting import commands as rc
from pavedroad.recruiting.events import PROJECTIONS
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import start_test_servers
from pavedroad.warehouse import Warehouse

console = Console(stderr=True)
SCRIPT = str(Path(__file__).resolve())


def _copy_logs(tmp: Path, keep: Path) -> None:
    keep.mkdir(parents=True, exist_ok=True)
    for log in ("relay.log", "sink.log"):
        (keep / log).write_bytes((tmp / log).read_bytes())


def seed(owner_url: str) -> tuple[Principal, int, list[int]]:
    with psycopg.connect(owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values ('soak', 'Soak')")
        user = conn.execute(
            "insert into users (tenant_id, email, name, role) values ('soak', 'r@s.x', 'R', 'recruiter') returning id"
        ).fetchone()[0]  # type: ignore[index]
        dep = conn.execute("insert into departments (tenant_id, name) values ('soak', 'D') returning id").fetchone()[0]  # type: ignore[index]
        loc = conn.execute(
            "insert into locations (tenant_id, name, country) values ('soak', 'L', 'US') returning id"
        ).fetchone()[0]  # type: ignore[index]
        job = conn.execute(
            "insert into jobs (tenant_id, title, department_id, location_id) values ('soak', 'J', %s, %s) returning id",
            (dep, loc),
        ).fetchone()[0]  # type: ignore[index]
        stages = [
            conn.execute(
                "insert into job_stages (tenant_id, job_id, position, name, stage_type)"
                " values ('soak', %s, %s, %s, 'phone_screen') returning id",
                (job, pos, f"S{pos}"),
            ).fetchone()[0]  # type: ignore[index]
            for pos in range(3)
        ]
    return Principal("soak", user, Role.RECRUITER), job, stages


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log, self.proc = argv, env, log, None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)  # type: ignore[assignment]

    def kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:  # type: ignore[unreachable]
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            self.kills += 1
        self.proc = None


async def run(minutes: float, keep_logs: Path | None = None) -> dict[str, Any]:
    rng = random.Random(11)
    tag = uuid.uuid4().hex[:8]
    with start_test_servers() as servers, tempfile.TemporaryDirectory(prefix="pr-soak-") as tmp_dir:
        tmp = Path(tmp_dir)
        assert servers.nats_url is not None
        db = servers.new_database("soak")
        principal, job, stages = seed(db.owner_url)
        env = {
            **os.environ,
            "PAVEDROAD_DATABASE_URL": db.owner_url,
            "PAVEDROAD_APP_DATABASE_URL": db.app_url,
            "PAVEDROAD_NATS_URL": servers.nats_url,
            "PAVEDROAD_DATA_DIR": str(tmp),
            "PAVEDROAD_EVENTS_SUBJECT_PREFIX": f"soak{tag}",
            "PAVEDROAD_EVENTS_STREAM": f"SOAK{tag}",
            "PAVEDROAD_EVENTS_RELAY_POLL_S": "0.05",
            "PAVEDROAD_LOG_LEVEL": "info",
            "PYTHONUNBUFFERED": "1",  # a SIGKILLed child must not take its last log lines with it
        }
        me = [sys.executable, SCRIPT, "--child"]
        path = tmp / "warehouse.duckdb"
        relay = Proc([*me, "relay", db.owner_url, servers.nats_url], env, tmp / "relay.log")
        sink = Proc([*me, "sink", db.owner_url, servers.nats_url, str(path)], env, tmp / "sink.log")
        relay.start()
        sink.start()
        pool = AsyncConnectionPool(db.app_url, min_size=2, max_size=2, open=False)
        await pool.open(wait=True)
        stop = asyncio.Event()
        written = 0

        async def writer() -> None:
            nonlocal written
            i = 0
            while not stop.is_set():
                async with atransaction(pool, principal) as tx:
                    made = await rc.create_application(
                        tx,
                        principal,
                        rc.NewApplication(
                            job_id=job, candidate=rc.NewCandidate(first_name="S", last_name=f"{i}", email=f"s{i}@x.io")
                        ),
                    )
                    await rc.move_stage(tx, principal, made.application_id, stages[1 + i % 2])
                written += 1
                i += 1
                await asyncio.sleep(0.002)

        task = asyncio.create_task(writer())
        deadline = time.monotonic() + minutes * 60
        rounds = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(1.0, 4.0))
            for proc in rng.choice([[relay], [sink], [relay, sink]]):
                await asyncio.to_thread(proc.kill)  # off the event loop: the writers keep committing
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            for proc in (relay, sink):
                if proc.proc is None:
                    await asyncio.to_thread(proc.start)
            rounds += 1
            console.print(f"round {rounds}: {written} applications written", highlight=False)
        stop.set()
        await task
        await pool.close()
        with psycopg.connect(db.owner_url) as conn:
            for _ in range(600):
                left = conn.execute("select count(*) from event_outbox where delivered_at is null").fetchone()
                if left == (0,):
                    break
                await asyncio.sleep(0.2)
            ids = {str(r[0]) for r in conn.execute("select event_id from event_outbox").fetchall()}
            undelivered = conn.execute("select count(*) from event_outbox where delivered_at is null").fetchone()
        nc = await nats.connect(servers.nats_url)
        js = nc.jetstream()
        info = await js.stream_info(f"SOAK{tag}")
        last = int(info.state.last_seq or 0)
        stream_messages = int(info.state.messages or 0)
        console.print(f"stream state: {info.state}", highlight=False)
        await nc.close()
        for _ in range(600):
            with psycopg.connect(db.owner_url) as conn:
                row = conn.execute(
                    "select (details->>'offset')::bigint from pavedroad_meta.event_components where kind = 'sink'"
                ).fetchone()
            if row and row[0] is not None and row[0] >= last:
                break
            await asyncio.sleep(0.2)
        relay.kill()
        sink.kill()
        with Warehouse(path, projections=PROJECTIONS, stream=f"SOAK{tag}") as wh:
            loaded = [str(r[0]) for r in wh.query("select id from pavedroad_meta.events")]
            offset = wh.offset()
        servers.drop_database(db)
        if keep_logs is not None:
            await asyncio.to_thread(_copy_logs, tmp, keep_logs)
    return {
        "soak_minutes": minutes,
        "kill_rounds": rounds,
        "relay_kills": relay.kills,
        "sink_kills": sink.kills,
        "events_committed": len(ids),
        "outbox_undelivered": int(undelivered[0]) if undelivered else -1,
        "stream_messages": stream_messages,
        "warehouse_events": len(loaded),
        "warehouse_offset_reached": offset >= last,
        "lost_events": len(ids - set(loaded)),
        "duplicate_events": len(loaded) - len(set(loaded)) + max(0, stream_messages - len(ids)),
    }


def child(argv: list[str]) -> None:
    """A relay or sink process (configured by PAVEDROAD_EVENTS_* in the environment)."""
    from pavedroad.events import EventsConfig, run_relay
    from pavedroad.recruiting.events import MIRRORED_TABLES
    from pavedroad.warehouse import run_sink

    kind, owner_url, nats_url = argv[:3]
    config = EventsConfig()
    if kind == "relay":
        asyncio.run(run_relay(owner_url, nats_url, config))
    else:
        asyncio.run(
            run_sink(
                nats_url,
                argv[3],
                projections=PROJECTIONS,
                table_names=MIRRORED_TABLES,
                owner_url=owner_url,
                config=config,
            )
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="45 seconds instead of the full soak.")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--keep-logs", type=Path, help="Copy the relay and sink logs here.")
    args = parser.parse_args()
    result = asyncio.run(run(0.75 if args.quick else args.minutes, args.keep_logs))
    with contextlib.suppress(Exception):
        console.print(result)
    print(json.dumps(result))
