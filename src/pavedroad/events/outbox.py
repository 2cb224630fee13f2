"""The transactional outbox: an event is written in the same transaction as the change it describes.

``append(tx, event)`` inserts into ``event_outbox`` on the caller's connection, inside the caller's
transaction (from ``tenancy.transaction``/``atransaction``). So there are no dual writes: the change and
its event commit together or not at all, and a rolled-back transaction emits nothing.

Ordering guarantee: before drawing the event's ``seq``, the insert takes a transaction-scoped advisory
lock on the aggregate, so for any one aggregate ``seq`` order is commit order, which is the order the
relay publishes in. Row-level security refuses an event whose tenant is not the transaction's tenant.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg.types.json import Jsonb

from pavedroad.errors import Forbidden
from pavedroad.events.envelope import Event

__all__ = ["aappend", "aappend_many", "append", "append_many"]

INSERT_SQL = (
    "insert into event_outbox (tenant_id, event_id, seq, event_type, schema_version, aggregate_type,"
    " aggregate_id, occurred_at, payload, classification)"
    " values (%s, %s, pavedroad_meta.outbox_next_seq(%s), %s, %s, %s, %s, %s, %s, %s)"
)


def _params(event: Event) -> tuple[object, ...]:
    key = f"{event.tenant_id}/{event.aggregate_type}/{event.aggregate_id}"
    return (
        event.tenant_id,
        event.id,
        key,
        event.type,
        event.schema_version,
        event.aggregate_type,
        event.aggregate_id,
        event.occurred_at,
        Jsonb(event.payload),
        Jsonb(event.classification),
    )


def _wrong_tenant(events: Sequence[Event]) -> Forbidden:
    return Forbidden(
        f"event for tenant '{events[0].tenant_id}' cannot be written in another tenant's transaction",
        code="EV403",
        hint="open the transaction with tenancy.transaction() for the event's tenant",
    )


def append(tx: psycopg.Connection, event: Event) -> None:
    """Write ``event`` to the outbox in ``tx``'s current transaction."""
    append_many(tx, [event])


def append_many(tx: psycopg.Connection, events: Sequence[Event]) -> None:
    """Write several events in order (one round trip per event, pipelined by psycopg)."""
    if not events:
        return
    try:
        with tx.cursor() as cur:
            if len(events) == 1:
                cur.execute(INSERT_SQL, _params(events[0]))
            else:
                cur.executemany(INSERT_SQL, [_params(e) for e in events])
    except psycopg.errors.InsufficientPrivilege:
        raise _wrong_tenant(events) from None


async def aappend(tx: psycopg.AsyncConnection, event: Event) -> None:
    """Async twin of ``append``."""
    await aappend_many(tx, [event])


async def aappend_many(tx: psycopg.AsyncConnection, events: Sequence[Event]) -> None:
    """Async twin of ``append_many``."""
    if not events:
        return
    try:
        async with tx.cursor() as cur:
            if len(events) == 1:
                await cur.execute(INSERT_SQL, _params(events[0]))
            else:
                await cur.executemany(INSERT_SQL, [_params(e) for e in events])
    except psycopg.errors.InsufficientPrivilege:
        raise _wrong_tenant(events) from None
