"""Heartbeats: running components report their figures to ``pavedroad_meta.event_components``.

What the HTTP status route reads, since the service has a database pool but no NATS connection.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

__all__ = ["areport_component"]

_SQL = (
    "insert into pavedroad_meta.event_components (component, kind, backlog, lag_seconds, dead_letters, details,"
    " updated_at) values (%s, %s, %s, %s, %s, %s, now()) on conflict (component) do update set"
    " backlog = excluded.backlog, lag_seconds = excluded.lag_seconds, dead_letters = excluded.dead_letters,"
    " details = excluded.details, updated_at = now()"
)


async def areport_component(
    conn: psycopg.AsyncConnection,
    component: str,
    kind: str,
    *,
    backlog: int = 0,
    lag_seconds: float = 0.0,
    dead_letters: int = 0,
    details: dict[str, Any] | None = None,
) -> None:
    """Upsert the component's figures (async only: every reporter runs in an event loop)."""
    await conn.execute(_SQL, (component, kind, backlog, lag_seconds, dead_letters, json.dumps(details or {})))
