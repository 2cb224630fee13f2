"""Soak: the relay and the warehouse sink are SIGKILLed at random for minutes while writes go on; at the
end every committed event is in the stream once and in the warehouse once.

The relay and the sink run as the real CLI processes (``pavedroad events relay``, ``pavedroad warehouse
sink``) against embedded servers started for this run. The integration test does the same in ~40 s;
this runs longer (default 5 minutes, ``--quick`` 45 s). Last line: JSON with the counts (``lost_events``
and ``duplicate_events`` must be 0).
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


async def run(minutes: float) -> dict[str, Any]:
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
            "PAVEDROAD_LOG_LEVEL": "warning",
        }
        exe = str(Path(sys.executable).parent / "pavedroad")
        path = tmp / "warehouse.duckdb"
        relay = Proc([exe, "events", "relay"], env, tmp / "relay.log")
        sink = Proc([exe, "warehouse", "sink", "--path", str(path)], env, tmp / "sink.log")
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
            # CLI start-up (imports, migration check) takes seconds on a busy machine: give each life time to work
            await asyncio.sleep(rng.uniform(2.0, 6.0))
            for proc in rng.choice([[relay], [sink], [relay, sink]]):
                proc.kill()
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            for proc in (relay, sink):
                if proc.proc is None:
                    proc.start()
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="45 seconds instead of the full soak.")
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    result = asyncio.run(run(0.75 if args.quick else args.minutes))
    with contextlib.suppress(Exception):
        console.print(result)
    print(json.dumps(result))
