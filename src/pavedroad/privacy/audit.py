"""The audit trail: who saw which classes of which entity, how many rows, and the outcome — never values.

Guarantees: ``arecord`` (and ``record``, for sync callers; both drive ``record_statements``) writes one
``audit_events`` row *and* one outbox event (so the trail reaches the warehouse) in the caller's tenant
transaction, so an access and its audit commit together; ``arecord_denial`` uses a transaction of its
own, because the denied request's transaction rolls back. ``audit_events`` is append-only: the
application role has no UPDATE or DELETE and a trigger refuses them for everyone. An ``AuditEvent`` has
no field that could hold a data value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad import events
from pavedroad.errors import NotFound
from pavedroad.privacy.classification import Classification
from pavedroad.tenancy import Execute, Principal, SqlSteps, adrive, atransaction, drive

__all__ = ["AuditEvent", "RowHidden", "arecord", "arecord_denial", "record", "record_statements", "search_statements"]

Action = Literal["query", "read", "list", "export", "erase", "hold", "release"]
Outcome = Literal["ok", "denied", "error", "suppressed"]

_INSERT = (
    "insert into audit_events (tenant_id, event_id, request_id, actor_user_id, actor_role, action, entity,"
    " subject_id, field_classes, row_count, outcome, reason)"
    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


@dataclass(frozen=True)
class AuditEvent:
    """One data access. ``reason`` is a code or a sentence from us, never user input or a value."""

    principal: Principal
    action: Action
    entity: str
    outcome: Outcome = "ok"
    field_classes: frozenset[Classification] = field(default_factory=frozenset)
    row_count: int | None = None
    subject_id: str | None = None
    request_id: str | None = None
    reason: str | None = None

    def _outbox_event(self) -> events.Event:
        event = events.Event(
            type="data_accessed" if self.outcome != "denied" else "access_denied",
            tenant_id=self.principal.tenant_id,
            aggregate_type="audit",
            aggregate_id=self.entity,
            payload=self._payload(),
        )
        return event.model_copy(update={"classification": dict.fromkeys(event.payload, "internal")})

    def _payload(self) -> dict[str, Any]:
        return {
            "actor_user_id": self.principal.user_id,
            "actor_role": self.principal.role.value,
            "action": self.action,
            "entity": self.entity,
            "subject_id": self.subject_id,
            "field_classes": _classes(self.field_classes),
            "row_count": self.row_count,
            "outcome": self.outcome,
            "reason": self.reason,
            "request_id": self.request_id,
        }

    def params(self, event_id: object) -> tuple[object, ...]:
        p = self.principal
        return (
            p.tenant_id,
            event_id,
            self.request_id,
            p.user_id,
            p.role.value,
            self.action,
            self.entity,
            self.subject_id,
            _classes(self.field_classes),
            self.row_count,
            self.outcome,
            self.reason,
        )


def _classes(classes: Iterable[Classification]) -> list[str]:
    return sorted((Classification(c).value for c in classes), key=lambda v: Classification(v).rank)


def record_statements(event: AuditEvent) -> SqlSteps[None]:
    """The audit row and its outbox event, for ``tenancy.drive``/``adrive`` in the caller's tenant transaction."""
    outbox = event._outbox_event()
    yield Execute(_INSERT, event.params(outbox.id))
    yield from events.append_statements([outbox])


def record(conn: psycopg.Connection, event: AuditEvent) -> None:
    """Audit ``event`` inside the caller's sync tenant transaction (the DSR tools')."""
    drive(conn, record_statements(event))


async def arecord(conn: psycopg.AsyncConnection, event: AuditEvent) -> None:
    """Audit ``event`` inside the caller's tenant transaction (row + outbox event)."""
    await adrive(conn, record_statements(event))


async def arecord_denial(pool: AsyncConnectionPool, event: AuditEvent) -> None:
    """Audit a denied access in a transaction of its own (the request's own transaction rolls back)."""
    async with atransaction(pool, event.principal) as conn:
        await arecord(conn, event)


def search_statements(
    *,
    actor_user_id: int | None = None,
    entity: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> SqlSteps[list[dict[str, Any]]]:
    """The newest matching audit events of the transaction's tenant, newest first (``tenancy.drive``/``adrive``)."""
    where: list[str] = ["true"]
    params: list[object] = []
    for column, value in (
        ("actor_user_id", actor_user_id),
        ("entity", entity),
        ("action", action),
        ("outcome", outcome),
    ):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if since is not None:
        where.append("occurred_at >= %s")
        params.append(since)
    text = (
        "select occurred_at, event_id, request_id, actor_user_id, actor_role, action, entity, subject_id,"
        " field_classes, row_count, outcome, reason from audit_events"
        f" where {' and '.join(where)} order by occurred_at desc, id desc limit %s"
    )
    return (yield Execute(text, [*params, limit], fetch=True))


class RowHidden(NotFound):
    """A row the caller's relationship rules hide: it reads as not found; ``audit`` is the denial to
    record with ``arecord_denial`` once the request's transaction has rolled back."""

    def __init__(self, message: str, audit: AuditEvent, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.audit = audit
