"""Shutting the service down never loses query shapes the flusher had already taken from the buffer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.querytools import shape_log_lifespan
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
