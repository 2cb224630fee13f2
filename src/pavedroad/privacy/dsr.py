"""Data subject requests: export everything about one subject, or erase it while keeping the facts.

Guarantees. ``export_subject`` returns every row of every table linked to the subject (see
``subjects``), as JSON-ready dicts. ``erase_subject`` refuses while a legal hold is active or a
retention minimum still covers one of the subject's rows (``Conflict`` naming the hold or the date);
otherwise, in one transaction, it overwrites every column classified ``personal`` or ``sensitive`` — and
free-form JSON classified ``confidential`` (custom fields may describe the person) — with NULL or a
neutral placeholder, keeps ids, stages, dates, amounts and outcomes for analytics, scrubs the subject's
personal values from outbox payloads, records the erasure and an audit event. Erasing twice is a no-op.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pavedroad.errors import Conflict, NotFound
from pavedroad.privacy.audit import AuditEvent, record
from pavedroad.privacy.classification import Classification
from pavedroad.privacy.holds import check_holds
from pavedroad.privacy.registry import Registry
from pavedroad.privacy.subjects import Column, LinkedTable, subject_graph
from pavedroad.tenancy import Principal, Role, set_tenant

__all__ = ["ErasureReport", "erase_subject", "export_subject", "targets_for", "to_json"]

PLACEHOLDER = "erased"
_TEXT = {"text", "character varying", "character"}
_JSON = {"jsonb", "json"}


@dataclass
class ErasureReport:
    subject: str
    rows_changed: dict[str, int] = field(default_factory=dict)
    outbox_events_scrubbed: int = 0
    already_erased: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows_changed.values())


def subject_rows_graph(
    conn: psycopg.Connection, principal: Principal, table: str, subject_id: int
) -> list[LinkedTable]:
    set_tenant(conn, principal)
    graph = subject_graph(conn, table)
    found = conn.execute(
        sql.SQL("select 1 from {} where tenant_id = %s and id = %s").format(sql.Identifier(table)),
        (principal.tenant_id, subject_id),
    ).fetchone()
    if found is None:
        raise NotFound(f"{table} {subject_id} not found in tenant {principal.tenant_id}", hint="check the id")
    return graph


def _rows(conn: psycopg.Connection, linked: LinkedTable, tenant: str, subject_id: int) -> list[dict[str, Any]]:
    query = sql.SQL("select * from {} where {} = %(tenant)s and {}").format(
        sql.Identifier(linked.name), sql.Identifier(linked.name, "tenant_id"), linked.predicate
    )
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, {"tenant": tenant, "subject": subject_id})
        return cur.fetchall()


def export_subject(conn: psycopg.Connection, tenant: str, table: str, subject_id: int) -> dict[str, Any]:
    """All of the subject's data: ``{"subject": ..., "tables": {table: [row, ...]}}``; audited as an export."""
    principal = Principal(tenant, None, Role.COMPLIANCE)
    with conn.transaction():
        graph = subject_rows_graph(conn, principal, table, subject_id)
        tables = {t.name: rows for t in graph if (rows := _rows(conn, t, tenant, subject_id))}
        record(
            conn,
            AuditEvent(
                principal,
                "export",
                table,
                subject_id=str(subject_id),
                field_classes=frozenset(Classification),
                row_count=sum(map(len, tables.values())),
            ),
        )
    return {"subject": {"table": table, "id": subject_id, "tenant": tenant}, "tables": tables}


def _replacement(column: Column) -> sql.Composable | None:
    if column.nullable:
        return sql.SQL("NULL")
    if column.data_type in _TEXT:
        return sql.Literal(PLACEHOLDER)
    if column.data_type in _JSON:
        return sql.SQL("'{}'")
    return None  # a NOT NULL non-text value (a date, a number) is a fact, not an identifier: kept


def targets_for(linked: LinkedTable, registry: Registry) -> list[tuple[str, sql.Composable]]:
    out = []
    for column in linked.columns:
        label = registry.get(linked.name, column.name)
        if label is None or column.generated or column.name in {"tenant_id", "id"}:
            continue
        free_form = label is Classification.CONFIDENTIAL and column.data_type in _JSON
        if label.rank >= Classification.PERSONAL.rank or free_form:
            value = _replacement(column)
            if value is not None:
                out.append((column.name, value))
    return out


def erase_subject(
    conn: psycopg.Connection,
    registry: Registry,
    tenant: str,
    table: str,
    subject_id: int,
    *,
    request_id: str | None = None,
) -> ErasureReport:
    """Anonymise the subject across linked tables and outbox payloads (``conn`` must be the owner's)."""
    principal = Principal(tenant, None, Role.COMPLIANCE)
    try:
        return _erase(conn, registry, principal, table, subject_id, request_id=request_id)
    except Conflict as exc:
        with conn.transaction():  # the refused attempt rolled back; its audit event must not
            set_tenant(conn, principal)
            record(
                conn,
                AuditEvent(
                    principal,
                    "erase",
                    table,
                    "denied",
                    subject_id=str(subject_id),
                    request_id=request_id,
                    reason=exc.code,
                ),
            )
        raise


def _erase(
    conn: psycopg.Connection,
    registry: Registry,
    principal: Principal,
    table: str,
    subject_id: int,
    *,
    request_id: str | None,
) -> ErasureReport:
    tenant = principal.tenant_id
    report = ErasureReport(f"{table}:{subject_id}")
    with conn.transaction():
        graph = subject_rows_graph(conn, principal, table, subject_id)
        done = conn.execute(
            "select 1 from erasures where tenant_id = %s and subject_entity = %s and subject_id = %s",
            (tenant, table, subject_id),
        ).fetchone()
        if done:
            report.already_erased = True
            return report
        check_holds(conn, tenant, table, subject_id, graph)
        values = _personal_values(conn, graph, registry, tenant, subject_id)
        for linked in graph:
            targets = targets_for(linked, registry)
            if not targets:
                continue
            assignments = sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), v) for c, v in targets)
            cur = conn.execute(
                sql.SQL("update {} set {} where {} = %(tenant)s and {}").format(
                    sql.Identifier(linked.name),
                    assignments,
                    sql.Identifier(linked.name, "tenant_id"),
                    linked.predicate,
                ),
                {"tenant": tenant, "subject": subject_id},
            )
            report.rows_changed[linked.name] = cur.rowcount
        report.outbox_events_scrubbed = _scrub_outbox(conn, tenant, values)
        conn.execute(
            "insert into erasures (tenant_id, subject_entity, subject_id, rows_changed) values (%s, %s, %s, %s)",
            (tenant, table, subject_id, report.total),
        )
        record(
            conn,
            AuditEvent(
                principal,
                "erase",
                table,
                subject_id=str(subject_id),
                request_id=request_id,
                row_count=report.total,
                field_classes=frozenset({Classification.PERSONAL}),
            ),
        )
    return report


def _personal_values(
    conn: psycopg.Connection, graph: list[LinkedTable], registry: Registry, tenant: str, subject_id: int
) -> set[str]:
    values: set[str] = set()
    for linked in graph:
        columns = [
            c.name
            for c in linked.columns
            if (lab := registry.get(linked.name, c.name)) is not None
            and lab.rank >= Classification.PERSONAL.rank
            and c.data_type in _TEXT
        ]
        for row in _rows(conn, linked, tenant, subject_id) if columns else ():
            values.update(str(row[c]) for c in columns if row[c] and len(str(row[c])) >= 3)
    return values


def _scrub(value: Any, secrets: set[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, PLACEHOLDER)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def _scrub_outbox(conn: psycopg.Connection, tenant: str, values: set[str]) -> int:
    """Replace the subject's personal values in outbox payloads (and null fields classified personal)."""
    exists = conn.execute("select to_regclass('public.event_outbox') is not null").fetchone()
    if not values or not exists or not exists[0]:
        return 0
    patterns = ["%" + v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for v in values]
    rows = conn.execute(
        "select event_id, created_at, payload, classification from event_outbox"
        " where tenant_id = %s and payload::text like any(%s)",
        (tenant, patterns),
    ).fetchall()
    for event_id, created_at, payload, classes in rows:
        cleaned = _scrub(payload, values)
        for key, label in (classes or {}).items():
            if key in cleaned and label in {"personal", "sensitive"}:
                cleaned[key] = None
        conn.execute(
            "update event_outbox set payload = %s where tenant_id = %s and event_id = %s and created_at = %s",
            (Jsonb(cleaned), tenant, event_id, created_at),
        )
    return len(rows)


def to_json(data: Any) -> str:
    """JSON for an export: dates as ISO strings, decimals as strings (exact amounts)."""

    def default(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return str(value)

    return json.dumps(data, default=default, indent=2, sort_keys=True)
