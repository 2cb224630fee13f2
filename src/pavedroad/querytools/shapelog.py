"""The query-shape log's I/O half: the service records each query it ran, a background task writes them.

``ShapeLog.record`` runs on the request path and only appends to an in-process ``ShapeBuffer``; the
flusher task (started by ``shape_log_lifespan`` in the app's lifespan) writes batches every ``interval``
seconds, one ``tenancy.atransaction`` per tenant in the batch (the table is tenant data under RLS), and
what is left on shutdown. Guarantees: a failed flush is logged and its batch dropped; it never raises
into a request. Shutdown never loses a batch the flusher has taken: it asks the flusher to stop and waits
for it (a write under way finishes, then the rest is written) rather than cancelling it mid-write, which
rolled back a batch already taken out of the buffer. Sampling: ``PAVEDROAD_QUERY_SHAPE_SAMPLE`` (0 to 1,
default 1; 0 turns the log off).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import Unavailable
from pavedroad.querytools.shapes import (
    INSERT_SQL,
    ShapeBuffer,
    ShapeRecord,
    TimedCompiler,
    batch_params,
    last_compile,
    make_record,
)
from pavedroad.tenancy import Principal, Role, atransaction

__all__ = ["ShapeLog", "shape_log_lifespan"]

_log = structlog.get_logger("pavedroad.query.shapes")

SHUTDOWN_GUARD_S = 30.0  # a hang guard on the last flush, as long as the pool's wait for a connection


@dataclass
class ShapeLog:
    """The service's shape log: the compiler the query route uses, and the buffer it feeds."""

    buffer: ShapeBuffer = field(default_factory=ShapeBuffer)
    compiler: TimedCompiler = field(default_factory=TimedCompiler)
    enabled: bool = True
    written: int = 0
    failed: int = 0

    def record(self, principal: Principal, query: str | dict[str, Any], row_count: int) -> None:
        """Queue the query just compiled and run in this context (no-op when off or not sampled)."""
        finished = time.perf_counter()
        timing = last_compile()
        if not self.enabled or timing is None or not self.buffer.wants():
            return
        record = make_record(
            principal.tenant_id, principal.role.value, query, timing, finished=finished, row_count=row_count
        )
        self.buffer.offer(record)

    async def flush(self, pool: AsyncConnectionPool, limit: int = 5_000) -> int:
        """Write up to ``limit`` queued records; returns how many were written."""
        batch = self.buffer.drain(limit)
        by_tenant: dict[str, list[ShapeRecord]] = {}
        for rec in batch:
            by_tenant.setdefault(rec.tenant_id, []).append(rec)
        done = 0
        for tenant, records in by_tenant.items():
            try:
                async with atransaction(pool, Principal(tenant, None, Role.ADMIN)) as conn:
                    await conn.execute(INSERT_SQL, batch_params(records))
                done += len(records)
            except (psycopg.Error, OSError, Unavailable) as exc:  # never into a request; lost and counted
                self.failed += len(records)
                _log.warning("query shape log flush failed", tenant=tenant, records=len(records), error=str(exc))
        self.written += done
        return done

    async def run(self, pool: AsyncConnectionPool, interval: float, stop: asyncio.Event | None = None) -> None:
        """Flush every ``interval`` seconds until ``stop`` is set, then flush what is queued and return."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            while len(self.buffer):
                if not await self.flush(pool):
                    break


def _sample() -> float:
    raw = os.environ.get("PAVEDROAD_QUERY_SHAPE_SAMPLE", "1")
    try:
        return min(max(float(raw), 0.0), 1.0)
    except ValueError:
        return 1.0


@asynccontextmanager
async def shape_log_lifespan(app: Any, interval: float = 1.0) -> AsyncIterator[None]:
    """Install ``app.state.shape_log`` and its flusher; runs inside the app's lifespan (pool open)."""
    sample = _sample()
    log = ShapeLog(ShapeBuffer(sample=sample), enabled=sample > 0.0)
    app.state.shape_log = log
    pool: AsyncConnectionPool | None = getattr(app.state, "pool", None)
    stop = asyncio.Event()
    task = asyncio.create_task(log.run(pool, interval, stop)) if pool is not None else None
    try:
        yield
    finally:
        if task is not None:
            stop.set()  # the flusher finishes the write under way, writes the rest, and returns
            done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_GUARD_S)
            if not done:  # a hang guard only: a database that never answers must not block shutdown
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                _log.warning("query shape log not flushed at shutdown", records=len(log.buffer))
            elif (error := task.exception()) is not None:
                _log.warning("query shape flusher failed", error=type(error).__name__)
