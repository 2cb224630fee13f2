"""Legal holds and retention minimums: what stops or defers an erasure.

Guarantee: ``check_holds`` raises ``Conflict`` (``P409``) while the subject has an unreleased legal hold,
and (``P410``, naming the first date erasure becomes possible) while a ``retention_minimums`` rule of the
tenant covers one of the subject's rows; ``place_hold``/``release_holds`` change holds and audit it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from pavedroad.errors import Conflict, NotFound, present
from pavedroad.privacy.audit import AuditEvent, record
from pavedroad.privacy.subjects import LinkedTable
from pavedroad.tenancy import Principal, Role, set_tenant

__all__ = ["check_holds", "place_hold", "release_holds"]


def check_holds(conn: psycopg.Connection, tenant: str, table: str, subject_id: int, graph: list[LinkedTable]) -> None:
    hold = conn.execute(
        "select id, placed_at from legal_holds where tenant_id = %s and subject_entity = %s and subject_id = %s"
        " and released_at is null order by placed_at limit 1",
        (tenant, table, subject_id),
    ).fetchone()
    if hold is not None:
        raise Conflict(
            f"{table} {subject_id} is under legal hold {hold[0]} (placed {hold[1]:%Y-%m-%d})",
            code="P409",
            hint="erasure resumes once the hold is released",
        )
    names = {t.name: t for t in graph}
    rules = conn.execute(
        "select table_name, timestamp_column, min_days, reason from retention_minimums where tenant_id = %s",
        (tenant,),
    ).fetchall()
    for table_name, column, min_days, reason in rules:
        if table_name not in names:
            continue
        latest = conn.execute(
            sql.SQL("select max({}) from {} where {} = %(tenant)s and {}").format(
                sql.Identifier(table_name, column),
                sql.Identifier(table_name),
                sql.Identifier(table_name, "tenant_id"),
                names[table_name].predicate,
            ),
            {"tenant": tenant, "subject": subject_id},
        ).fetchone()
        if latest and latest[0] is not None:
            until = latest[0] + timedelta(days=min_days)
            if until > datetime.now(UTC):
                raise Conflict(
                    f"{table_name} must be kept for {min_days} days ({reason}); erasure is possible"
                    f" from {until:%Y-%m-%d}",
                    code="P410",
                    hint="retry the request after that date",
                )


def place_hold(conn: psycopg.Connection, tenant: str, table: str, subject_id: int, *, reason: str) -> int:
    """Put the subject under legal hold (erasure refused until released); audited. Returns the hold id."""
    principal = Principal(tenant, None, Role.COMPLIANCE)
    with conn.transaction():
        set_tenant(conn, principal)
        query = sql.SQL("select 1 from {} where tenant_id = %s and id = %s").format(sql.Identifier(table))
        if conn.execute(query, (tenant, subject_id)).fetchone() is None:
            raise NotFound(f"{table} {subject_id} not found in tenant {tenant}", hint="check the id")
        row = conn.execute(
            "insert into legal_holds (tenant_id, subject_entity, subject_id, reason) values (%s, %s, %s, %s)"
            " returning id",
            (tenant, table, subject_id, reason),
        ).fetchone()
        row = present(row, "the new legal hold row")
        record(conn, AuditEvent(principal, "hold", table, subject_id=str(subject_id)))
    return int(row[0])


def release_holds(conn: psycopg.Connection, tenant: str, table: str, subject_id: int, *, reason: str) -> int:
    """Release the subject's active holds; audited with ``reason``. Returns how many were released."""
    principal = Principal(tenant, None, Role.COMPLIANCE)
    with conn.transaction():
        set_tenant(conn, principal)
        cur = conn.execute(
            "update legal_holds set released_at = now() where tenant_id = %s and subject_entity = %s"
            " and subject_id = %s and released_at is null",
            (tenant, table, subject_id),
        )
        record(conn, AuditEvent(principal, "release", table, subject_id=str(subject_id), reason=reason[:200]))
    return cur.rowcount
