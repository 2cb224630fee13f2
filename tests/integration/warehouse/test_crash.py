"""Crash safety: relay and sink killed with SIGKILL at random points while writes continue lose nothing
and duplicate nothing in the warehouse."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import EventsConfig
from pavedroad.recruiting import commands as rc
from pavedroad.recruiting.events import PROJECTIONS
from pavedroad.tenancy import atransaction
from pavedroad.testing import TestDatabase
from pavedroad.warehouse import Warehouse
from tests.integration.events.conftest import World
from tests.integration.events.streams import read_stream

ROOT = Path(__file__).resolve().parents[3]
ITERATIONS = 8


class Proc:
    """One relay or sink subprocess that can be SIGKILLed and restarted."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.args, self.log = args, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.events.procs", *self.args],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


async def writer(pool: AsyncConnectionPool, world: World, stop: asyncio.Event, made: list[int]) -> None:
    i = 0
    while not stop.is_set():
        async with atransaction(pool, world.recruiter) as tx:
            created = await rc.create_application(
                tx,
                world.recruiter,
                rc.NewApplication(
                    job_id=world.job_id,
                    candidate=rc.NewCandidate(first_name="K", last_name=f"N{i}", email=f"k{i}@example.com"),
                ),
            )
            if i % 2:
                await rc.move_stage(tx, world.recruiter, created.application_id, world.stage_ids[1])
        made.append(created.application_id)
        i += 1
        await asyncio.sleep(0.005)


def _stream_ids_and_outbox(owner_url: str) -> tuple[set[str], int]:
    with psycopg.connect(owner_url) as conn:
        ids = {str(r[0]) for r in conn.execute("select event_id from event_outbox").fetchall()}
        pending = conn.execute("select count(*) from event_outbox where delivered_at is null").fetchone()
    assert pending is not None
    return ids, int(pending[0])


def _sink_offset(owner_url: str) -> int:
    """The offset the sink last reported in its heartbeat."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "select (details->>'offset')::bigint from pavedroad_meta.event_components where kind = 'sink'"
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def test_kill_relay_and_sink_repeatedly_loses_and_duplicates_nothing(  # noqa: PLR0917 - pytest injects fixtures by name
    database: TestDatabase,
    world: World,
    app_pool: AsyncConnectionPool,
    nats_url: str,
    events_config: EventsConfig,
    tmp_path: Path,
) -> None:
    """SIGKILL the relay and the sink at random points over many rounds while writes continue: in the end the
    warehouse holds every committed event exactly once and the same applications as Postgres."""
    rng = random.Random(7)
    path = tmp_path / "wh.duckdb"
    base = [database.owner_url, nats_url, events_config.subject_prefix, events_config.stream]
    relay = Proc(["relay", *base], tmp_path / "relay.log")
    sink = Proc(["sink", *base, str(path)], tmp_path / "sink.log")
    relay.start()
    sink.start()
    stop, made = asyncio.Event(), list[int]()
    writing = asyncio.create_task(writer(app_pool, world, stop, made))
    try:
        for _ in range(ITERATIONS):
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            victim = rng.choice([relay, sink, relay, sink, None])
            for proc in (relay, sink) if victim is None else (victim,):
                await asyncio.to_thread(proc.kill)  # off the event loop: the writer keeps committing
            await asyncio.sleep(rng.uniform(0.0, 0.3))
            for proc in (relay, sink):
                if proc.proc is None:
                    await asyncio.to_thread(proc.start)
        stop.set()
        await writing
        deadline = time.monotonic() + 30
        ids, pending = _stream_ids_and_outbox(database.owner_url)
        while pending and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            ids, pending = _stream_ids_and_outbox(database.owner_url)
        assert pending == 0, (tmp_path / "relay.log").read_text()[-3000:]
        events = await read_stream(nats_url, events_config, expect=len(ids))
        assert len(events) == len(ids)  # no duplicate in the stream
        last_seq = max(e["_seq"] for e in events)
        # Polling another process's heartbeat row: there is no in-process event to wait on.
        while time.monotonic() < deadline and _sink_offset(database.owner_url) < last_seq:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        sink.kill()  # SIGKILL once more: the file must be consistent at any instant
        with Warehouse(path, projections=PROJECTIONS, stream=events_config.stream) as wh:
            assert wh.offset() == last_seq, (tmp_path / "sink.log").read_text()[-3000:]
            total, distinct = wh.query("select count(*), count(distinct id) from pavedroad_meta.events")[0]
            loaded = {str(r[0]) for r in wh.query("select id from pavedroad_meta.events")}
            apps = wh.query(
                "select count(*), count(*) filter (where current_stage_id = ?) from applications", [world.stage_ids[1]]
            )[0]
    finally:
        stop.set()
        relay.kill()
        sink.kill()
    assert total == distinct == len(ids)
    assert loaded == ids
    with psycopg.connect(database.owner_url) as conn:
        pg_apps = conn.execute(
            "select count(*), count(*) filter (where current_stage_id = %s) from applications", (world.stage_ids[1],)
        ).fetchone()
    assert apps == pg_apps
    assert len(made) > ITERATIONS  # writes went on throughout the kills
