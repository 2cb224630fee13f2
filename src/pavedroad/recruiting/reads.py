"""Read side of the recruiting domain: list and get, always inside a tenant-scoped transaction."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pavedroad.errors import InvalidInput, NotFound

__all__ = ["decode_cursor", "encode_cursor", "get_application", "list_jobs"]


def encode_cursor(values: list[Any]) -> str:
    """An opaque keyset cursor (the sort key of the last row returned)."""
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """Inverse of ``encode_cursor``; a tampered cursor is a 400, not a 500."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, json.JSONDecodeError):
        raise InvalidInput(
            "the cursor is not valid", hint="pass the next_cursor of a previous page unchanged"
        ) from None
    if not isinstance(value, list):
        raise InvalidInput("the cursor is not valid", hint="pass the next_cursor of a previous page unchanged")
    return value


async def list_jobs(
    conn: psycopg.AsyncConnection, tenant_id: str, *, status: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of jobs ordered by id, keyset-paginated (stable under inserts)."""
    after = int(decode_cursor(cursor)[0]) if cursor else 0
    where = ["j.tenant_id = %s", "j.id > %s"]
    params: list[Any] = [tenant_id, after]
    if status is not None:
        where.append("j.status = %s")
        params.append(status)
    params.append(limit + 1)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "select j.id, j.title, j.status, j.confidential, j.employment_type, j.openings, j.opened_at,"
            " j.closed_at, d.name as department, l.name as location"
            " from jobs j"
            " join departments d on d.tenant_id = j.tenant_id and d.id = j.department_id"
            " join locations l on l.tenant_id = j.tenant_id and l.id = j.location_id"
            f" where {' and '.join(where)} order by j.id limit %s",
            params,
        )
        rows = await cur.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor([rows[-1]["id"]]) if more and rows else None}


async def get_application(conn: psycopg.AsyncConnection, tenant_id: str, application_id: int) -> dict[str, Any]:
    """One application with its job and stage, or ``NotFound`` (also for other tenants' ids)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "select a.id, a.candidate_id, a.job_id, j.title as job_title, a.status, a.archive_reason,"
            " s.name as current_stage, s.stage_type, a.applied_at, a.last_activity_at, a.hired_at, a.archived_at,"
            " src.name as source"
            " from applications a"
            " join jobs j on j.tenant_id = a.tenant_id and j.id = a.job_id"
            " join job_stages s on s.tenant_id = a.tenant_id and s.id = a.current_stage_id"
            " left join sources src on src.tenant_id = a.tenant_id and src.id = a.source_id"
            " where a.tenant_id = %s and a.id = %s",
            (tenant_id, application_id),
        )
        row = await cur.fetchone()
    if row is None:
        raise NotFound(f"application {application_id} not found", hint="check the id; ids are per tenant")
    return row
