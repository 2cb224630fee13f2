"""The shape log's flusher: shutdown never loses the shapes it holds; a database outage never ends it."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.querytools import ShapeLog, shape_log_lifespan
from pavedroad.querytools.shapes import ShapeRecord, shape_id
from pavedroad.testing import TestDatabase

TENANT = "acme"
HANG_GUARD_S = 60.0  # only bounds a wait that must end; the test asserts no duration


def _record(n: int) -> ShapeRecord:
    shape = "jobs | aggregate n = count()"
    return ShapeRecord(TENANT, shape_id(shape), shape, "select 1", "admin", False, 10, 20, n, datetime.now(UTC))


async def _until_blocked_on_lock(owner: psycopg.AsyncConnection, app_name: str) -> None:
    """Wait (on the database's own view, not a sleep of a guessed length) until the flush waits for a lock."""
    deadline = asyncio.get_running_loop().time() + HANG_GUARD_S
    while asyncio.get_running_loop().time() < deadline:
        row = await (
            await owner.execute(
                "select count(*) from pg_stat_activity where application_name = %s and wait_event_type = 'Lock'",
                (app_name,),
            )
        ).fetchone()
        if row == (1,):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the flusher never reached its insert")


async def test_shutdown_during_a_flush_writes_the_batch_the_flusher_holds(database: TestDatabase) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values (%s, 'Acme')", (TENANT,))
    app_name = "shape-log-shutdown"
    pool = AsyncConnectionPool(
        database.app_url, min_size=1, max_size=2, open=False, kwargs={"application_name": app_name}
    )
    await pool.open(wait=True)
    owner = await psycopg.AsyncConnection.connect(database.owner_url, autocommit=True)
    try:
        app = SimpleNamespace(state=SimpleNamespace(pool=pool))
        lifespan = shape_log_lifespan(app, interval=0.01)
        await lifespan.__aenter__()
        await owner.execute("begin")
        await owner.execute("lock table query_shape_log in exclusive mode")  # the flusher's insert must wait
        for n in range(5):
            app.state.shape_log.buffer.offer(_record(n))
        await _until_blocked_on_lock(owner, app_name)  # the periodic flush holds all five records now
        assert len(app.state.shape_log.buffer) == 0
        shutdown = asyncio.create_task(lifespan.__aexit__(None, None, None))
        await asyncio.sleep(0)  # let shutdown begin while the insert still waits
        await owner.execute("commit")  # release the table
        await asyncio.wait_for(shutdown, HANG_GUARD_S)
    finally:
        await owner.close()
        await pool.close()
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute("select row_count from query_shape_log order by row_count").fetchall()
    assert [r[0] for r in rows] == [0, 1, 2, 3, 4]


async def test_a_flush_without_a_database_counts_its_batch_and_keeps_the_flusher_alive() -> None:
    """The pool's timeout surfaces as ``Unavailable``; the flush logs and counts it rather than raising it."""
    with socket.socket() as probe:  # a port nothing listens on: bind, note it, close
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://app@127.0.0.1:{port}/none"
    pool = AsyncConnectionPool(url, min_size=0, max_size=1, timeout=0.5, open=False)
    await pool.open()
    try:
        log = ShapeLog()
        for n in range(3):
            log.buffer.offer(_record(n))
        assert await log.flush(pool) == 0
    finally:
        await pool.close()
    assert (log.failed, log.written, len(log.buffer)) == (3, 0, 0)
