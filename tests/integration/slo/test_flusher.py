"""The flusher loses nothing when the database is away for a while, and flushes what is left on stop."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.slo import Recorder, SliceFlusher
from pavedroad.testing import TestDatabase


class _DownPool:
    def connection(self) -> AbstractAsyncContextManager[Any]:
        raise psycopg.OperationalError("connection refused")


def _total(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("select coalesce(sum(total), 0) from pavedroad_meta.slo_slices").fetchone()
    assert row is not None
    return int(row[0])


async def test_rows_survive_an_outage_and_stop_flushes(database: TestDatabase) -> None:
    recorder = Recorder("svc", "v1")
    for _ in range(10):
        recorder.record_http("/a", "GET", 200, 0.01)
    flusher = SliceFlusher(recorder, _DownPool(), interval_s=3600)  # type: ignore[arg-type]
    assert await flusher.flush() == 0
    for _ in range(5):
        recorder.record_http("/a", "GET", 500, 0.02)
    async with AsyncConnectionPool(database.app_url, min_size=1, max_size=2, open=False) as pool:
        flusher.pool = pool
        flusher.start()
        await flusher.stop()  # the final flush writes the kept rows and the new ones
    assert _total(database.owner_url) == 15
