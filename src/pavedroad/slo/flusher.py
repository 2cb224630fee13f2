"""The recorder's thin I/O driver: drain every few seconds and merge the rows into Postgres.

Guarantees: every drained row is written once or kept for the next attempt (a database outage delays
rows, it does not lose them, up to ``max_pending`` rows — beyond that the oldest are dropped and a
warning is logged); ``stop`` flushes what is left, so a graceful shutdown loses nothing.

    flusher = SliceFlusher(recorder, pool).start()   # in the app's lifespan, after the pool opens
    ...
    await flusher.stop()
"""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from pavedroad.slo.recorder import Recorder, SliceRow
from pavedroad.slo.store import aflush_rows

__all__ = ["SliceFlusher"]

_log = structlog.get_logger("pavedroad.slo")


class SliceFlusher:
    """Background task that drains ``recorder`` into ``pool`` every ``interval_s`` seconds."""

    def __init__(
        self, recorder: Recorder, pool: AsyncConnectionPool, *, interval_s: float = 5.0, max_pending: int = 50_000
    ) -> None:
        self.recorder = recorder
        self.pool = pool
        self.interval_s = interval_s
        self.max_pending = max_pending
        self._pending: list[SliceRow] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> SliceFlusher:
        """Start the loop on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="pavedroad-slo-flusher")
        return self

    async def flush(self) -> int:
        """Drain and write now; return rows written (0 if the database refused, rows kept for later)."""
        rows = self._pending + self.recorder.drain()
        self._pending = []
        if not rows:
            return 0
        try:
            async with self.pool.connection() as conn:
                return await aflush_rows(conn, rows)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            if len(rows) > self.max_pending:
                _log.warning("slo slices dropped", dropped=len(rows) - self.max_pending)
                rows = rows[-self.max_pending :]
            self._pending = rows
            _log.warning("slo flush failed; will retry", error=str(exc)[:200], pending=len(rows))
            return 0

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.flush()

    async def stop(self) -> None:
        """Stop the loop and flush what is left."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
