"""The transactional outbox: an event is written in the same transaction as the change it describes.

``aappend(tx, event)`` inserts into ``event_outbox`` on the caller's connection, inside the caller's
transaction (from ``tenancy.atransaction``); sync code inside a ``tenancy.transaction`` drives the same
statements with ``tenancy.drive(tx, append_statements([event]))``. So there are no dual writes: the change and
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
from pavedroad.tenancy import Execute, SqlSteps, adrive

__all__ = ["aappend", "aappend_many", "append_statements"]

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


def append_statements(events: Sequence[Event]) -> SqlSteps[None]:
    """The outbox writes of ``events``, in order, for ``tenancy.drive``/``adrive`` (or another statement
    generator to ``yield from``): one pipelined ``executemany``, or a plain insert for one event."""
    if not events:
        return
    params = [_params(e) for e in events]
    try:
        yield Execute(INSERT_SQL, params[0]) if len(params) == 1 else Execute(INSERT_SQL, many=params)
    except psycopg.errors.InsufficientPrivilege:
        raise _wrong_tenant(events) from None


async def aappend(tx: psycopg.AsyncConnection, event: Event) -> None:
    """Write ``event`` to the outbox in ``tx``'s current transaction."""
    await adrive(tx, append_statements([event]))


async def aappend_many(tx: psycopg.AsyncConnection, events: Sequence[Event]) -> None:
    """Write several events in order (pipelined by psycopg)."""
    await adrive(tx, append_statements(events))
