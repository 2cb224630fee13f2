"""Outbox housekeeping: daily partitions created ahead, old delivered ones dropped.

Guarantees: a partition is dropped only when it is older than the retention *and* holds no undelivered
row, so pruning never loses an event; rows that landed in the default partition (no daily partition yet)
are deleted once delivered and past retention. Every partition is scoped to tenants like its parent.
DDL needs the table owner: ``maintain`` runs as the connecting role (the relay's login, normally the
owner) and deletes rows as ``pavedroad_relay``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

__all__ = ["MaintenanceReport", "maintain", "partition_name", "partitions_to_drop"]

RELAY_ROLE = "pavedroad_relay"


def partition_name(day: date) -> str:
    return f"event_outbox_p{day:%Y%m%d}"


def partitions_to_drop(existing: dict[str, date], now: datetime, retention: timedelta) -> list[str]:
    """Names of daily partitions whose whole day ended before ``now - retention`` (pure)."""
    cutoff = now - retention
    out = []
    for name, day in sorted(existing.items(), key=lambda kv: kv[1]):
        end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        if end <= cutoff:
            out.append(name)
    return out


@dataclass
class MaintenanceReport:
    created: list[str]
    dropped: list[str]
    kept_undelivered: list[str]
    default_rows_deleted: int


def _existing(conn: psycopg.Connection) -> dict[str, date]:
    rows = conn.execute(
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
        " where i.inhparent = 'event_outbox'::regclass and c.relname like 'event_outbox_p%%'"
    ).fetchall()
    return {r[0]: datetime.strptime(r[0][-8:], "%Y%m%d").replace(tzinfo=UTC).date() for r in rows}


def maintain(conn: psycopg.Connection, *, now: datetime, retention: timedelta, ahead_days: int) -> MaintenanceReport:
    """Create partitions for today and ``ahead_days`` more, drop expired delivered ones (autocommit conn).

    Never queues behind traffic: DDL runs with a short ``lock_timeout`` and is skipped (retried at the next
    run) when it cannot get its lock, because a waiting ACCESS EXCLUSIVE request would stall every writer
    of the outbox behind it.
    """
    report = MaintenanceReport([], [], [], 0)
    conn.execute("set lock_timeout = '200ms'")
    existing = _existing(conn)
    today = now.astimezone(UTC).date()
    for offset in range(ahead_days + 1):
        day = today + timedelta(days=offset)
        name = partition_name(day)
        if name in existing:
            continue
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        early = conn.execute(
            "select exists (select 1 from event_outbox_default where created_at >= %s and created_at < %s)",
            (start, start + timedelta(days=1)),
        ).fetchone()
        if early and early[0]:
            continue  # that day's rows already sit in the default partition; they are pruned from there
        try:
            conn.execute(
                sql.SQL("CREATE TABLE {} PARTITION OF event_outbox FOR VALUES FROM ({}) TO ({})").format(
                    sql.Identifier(name), sql.Literal(start), sql.Literal(start + timedelta(days=1))
                )
            )
            conn.execute("select pavedroad_meta.scope_to_tenant(%s::regclass)", (name,))
            report.created.append(name)
        except (psycopg.errors.CheckViolation, psycopg.errors.LockNotAvailable):
            pass  # rows arrived for that day meanwhile, or the lock was busy: try again next time
    for name in partitions_to_drop(existing, now, retention):
        with contextlib.suppress(psycopg.errors.LockNotAvailable), conn.transaction():
            conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(name)))
            pending = conn.execute(
                sql.SQL("select exists (select 1 from {} where delivered_at is null)").format(sql.Identifier(name))
            ).fetchone()
            if pending and pending[0]:
                report.kept_undelivered.append(name)
                continue
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
            report.dropped.append(name)
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(RELAY_ROLE)))
        cur = conn.execute(
            "delete from event_outbox where delivered_at is not null and created_at < %s",
            (now - retention,),
        )
        report.default_rows_deleted = cur.rowcount
    return report
