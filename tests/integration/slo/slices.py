"""Writing recorder slices from tests through the service's own flush (``aflush_rows``, async only)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import psycopg

from pavedroad.slo.recorder import SliceRow
from pavedroad.slo.store import aflush_rows


async def aflush_to(url: str, rows: Sequence[SliceRow]) -> int:
    """Merge ``rows`` into the slices over a fresh connection to ``url``; how many were written."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await aflush_rows(conn, rows)


def flush_to(url: str, rows: Sequence[SliceRow]) -> int:
    """``aflush_to`` for sync tests and worker processes (no event loop running)."""
    return asyncio.run(aflush_to(url, rows))
