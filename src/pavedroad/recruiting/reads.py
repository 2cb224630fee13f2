"""Read side of the recruiting domain: list and get, always inside a tenant-scoped transaction.

Every read goes through the guardrails: the role-by-classification matrix drops fields the caller may
not see, relationship rules hide rows (a hidden row reads as not found), and each read is audited (who,
entity, field classes shown, row count). ``ACCESS`` and ``ROW_RULES`` are the recruiting domain's access
declaration; ``GUARDRAILS`` hands both to the query language (``query.run(..., guard=GUARDRAILS)``).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pavedroad.errors import InvalidInput, NotFound
from pavedroad.privacy import DEFAULT_MATRIX, AuditEvent, Classification, Guardrails, RowHidden, RowRule, arecord
from pavedroad.recruiting.policies import recruiting_policies
from pavedroad.tenancy import Principal

__all__ = ["ACCESS", "GUARDRAILS", "ROW_RULES", "decode_cursor", "encode_cursor", "get_application", "list_jobs"]

_ALL = frozenset({"admin", "recruiter", "hiring_manager", "interviewer", "compliance"})
_TEAM_JOBS = "select job_id from job_hiring_team where tenant_id = %(tenant)s and user_id = %(user)s"
_TEAM_APPS = (
    "select a.id from applications a join job_hiring_team t on t.tenant_id = a.tenant_id and t.job_id = a.job_id"
    " where a.tenant_id = %(tenant)s and t.user_id = %(user)s"
)
_INTERVIEWED_APPS = (
    "select i.application_id from interviews i join interview_participants p"
    " on p.tenant_id = i.tenant_id and p.interview_id = i.id where i.tenant_id = %(tenant)s and p.user_id = %(user)s"
)
_SCORED_APPS = "select application_id from scorecards where tenant_id = %(tenant)s and interviewer_id = %(user)s"
_NOT_CONFIDENTIAL = {"op": "=", "args": [{"field": "job.confidential"}, {"value": False}]}

# Compensation is visible to admins and recruiters only, whatever its class: offers' terms here, and custom
# fields defined as ``compensation`` through the matrix's category of the same roles.
ACCESS = DEFAULT_MATRIX.with_restricted(
    {("offers", f): DEFAULT_MATRIX.categories["compensation"] for f in ("salary", "currency", "start_date")}
)


def _rule(entity: str, roles: set[str], field: str, grants: str, unless: dict[str, Any] | None = None) -> RowRule:
    return RowRule(entity, frozenset(roles), field, grants, unless)


_TEAM_CANDIDATES = _TEAM_APPS.replace("select a.id", "select a.candidate_id")
_INTERVIEWED_CANDIDATES = (
    "select a.candidate_id from interviews i"
    " join applications a on a.tenant_id = i.tenant_id and a.id = i.application_id"
    " join interview_participants p on p.tenant_id = i.tenant_id and p.interview_id = i.id"
    " where i.tenant_id = %(tenant)s and p.user_id = %(user)s"
)
_NOTHING = "select 0 where false"
_JOB_OPEN = {"op": "=", "args": [{"field": "confidential"}, {"value": False}]}
_HANGING = ("interviews", "scorecards", "offers", "stage_transitions")

ROW_RULES: tuple[RowRule, ...] = (
    # Confidential jobs (and their applications) only for their hiring team; admins see everything.
    _rule("jobs", set(_ALL - {"admin"}), "id", _TEAM_JOBS, _JOB_OPEN),
    _rule("applications", {"recruiter", "compliance", "interviewer"}, "job_id", _TEAM_JOBS, _NOT_CONFIDENTIAL),
    # Hiring managers: applications of their own jobs, and what hangs off them.
    _rule("applications", {"hiring_manager"}, "id", _TEAM_APPS),
    _rule("candidates", {"hiring_manager"}, "id", _TEAM_CANDIDATES),
    *(_rule(e, {"hiring_manager"}, "application_id", _TEAM_APPS) for e in _HANGING),
    # Interviewers: only candidates they interview; others' feedback only after submitting their own.
    _rule("applications", {"interviewer"}, "id", _INTERVIEWED_APPS),
    _rule("candidates", {"interviewer"}, "id", _INTERVIEWED_CANDIDATES),
    _rule("interviews", {"interviewer"}, "application_id", _INTERVIEWED_APPS),
    _rule("stage_transitions", {"interviewer"}, "application_id", _INTERVIEWED_APPS),
    _rule("scorecards", {"interviewer"}, "application_id", _SCORED_APPS),
    _rule("offers", {"interviewer"}, "application_id", _NOTHING),
)

# Every principal's query (HTTP, CLI, Python) and explanation runs through this guard; field access is
# decided by the platform's Cedar policies (policies.cedar states ACCESS as policies; a test keeps them equal).
GUARDRAILS = Guardrails(ACCESS, ROW_RULES, recruiting_policies())

# Output field -> its classification (from the semantic model), for the matrix on read routes.
_JOB_FIELDS = {
    "id": "internal",
    "title": "public",
    "status": "public",
    "confidential": "internal",
    "employment_type": "public",
    "openings": "public",
    "opened_at": "public",
    "closed_at": "public",
    "department": "public",
    "location": "public",
}
_APPLICATION_FIELDS = {
    "id": "internal",
    "candidate_id": "internal",
    "job_id": "internal",
    "job_title": "public",
    "status": "internal",
    "archive_reason": "confidential",
    "current_stage": "public",
    "stage_type": "public",
    "applied_at": "internal",
    "last_activity_at": "internal",
    "hired_at": "internal",
    "archived_at": "internal",
    "source": "internal",
    "candidate_name": "personal",
}

# Row visibility on the read routes: the same rules as ROW_RULES, as SQL over the aliases j (job), a.
_JOB_VISIBLE = (
    "(%(role)s = 'admin' or not j.confidential or exists (select 1 from job_hiring_team t"
    " where t.tenant_id = j.tenant_id and t.job_id = j.id and t.user_id = %(user)s))"
)
_APP_VISIBLE = (
    "(case %(role)s when 'admin' then true"
    " when 'hiring_manager' then exists (select 1 from job_hiring_team t where t.tenant_id = a.tenant_id"
    "  and t.job_id = a.job_id and t.user_id = %(user)s)"
    " when 'interviewer' then exists (select 1 from interviews i join interview_participants p"
    "  on p.tenant_id = i.tenant_id and p.interview_id = i.id where i.tenant_id = a.tenant_id"
    "  and i.application_id = a.id and p.user_id = %(user)s)"
    " else true end) and " + _JOB_VISIBLE
)


def _shown(row: dict[str, Any], fields: dict[str, str], role: str) -> tuple[dict[str, Any], set[Classification]]:
    out, classes = {}, set()
    for key, value in row.items():
        label = Classification(fields.get(key, "sensitive"))
        if ACCESS.allows(role, label):
            out[key] = value
            classes.add(label)
    return out, classes


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
    if not isinstance(value, list) or not value or not isinstance(value[0], int) or not 0 <= value[0] < 2**63:
        raise InvalidInput("the cursor is not valid", hint="pass the next_cursor of a previous page unchanged")
    return value


def _ctx(principal: Principal) -> dict[str, Any]:
    return {"tenant": principal.tenant_id, "role": principal.role.value, "user": principal.user_id}


async def list_jobs(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """One page of the jobs the caller may see, ordered by id, keyset-paginated (stable under inserts)."""
    params: dict[str, Any] = {**_ctx(principal), "after": int(decode_cursor(cursor)[0]) if cursor else 0}
    where = ["j.tenant_id = %(tenant)s", "j.id > %(after)s", _JOB_VISIBLE]
    if status is not None:
        where.append("j.status = %(status)s")
        params["status"] = status
    params["limit"] = limit + 1
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "select j.id, j.title, j.status, j.confidential, j.employment_type, j.openings, j.opened_at,"
            " j.closed_at, d.name as department, l.name as location"
            " from jobs j"
            " join departments d on d.tenant_id = j.tenant_id and d.id = j.department_id"
            " join locations l on l.tenant_id = j.tenant_id and l.id = j.location_id"
            f" where {' and '.join(where)} order by j.id limit %(limit)s",
            params,
        )
        rows = await cur.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1]["id"]]) if more and rows else None
    shown = [_shown(r, _JOB_FIELDS, principal.role.value) for r in rows]
    classes = set().union(*(c for _, c in shown)) if shown else set()
    await arecord(
        conn,
        AuditEvent(
            principal, "list", "jobs", field_classes=frozenset(classes), row_count=len(rows), request_id=request_id
        ),
    )
    return {"items": [r for r, _ in shown], "next_cursor": next_cursor}


async def get_application(
    conn: psycopg.AsyncConnection, principal: Principal, application_id: int, *, request_id: str | None = None
) -> dict[str, Any]:
    """One application with its job and stage, or ``NotFound`` (also for other tenants' ids); a row the
    caller's relationship rules hide raises ``RowHidden`` (a ``NotFound``) carrying the denial to audit."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"select {_APP_VISIBLE} as visible, a.id, a.candidate_id, a.job_id, j.title as job_title, a.status,"
            " a.archive_reason, s.name as current_stage, s.stage_type, a.applied_at, a.last_activity_at, a.hired_at,"
            " a.archived_at, src.name as source, c.first_name || ' ' || c.last_name as candidate_name"
            " from applications a"
            " join jobs j on j.tenant_id = a.tenant_id and j.id = a.job_id"
            " join job_stages s on s.tenant_id = a.tenant_id and s.id = a.current_stage_id"
            " join candidates c on c.tenant_id = a.tenant_id and c.id = a.candidate_id"
            " left join sources src on src.tenant_id = a.tenant_id and src.id = a.source_id"
            " where a.tenant_id = %(tenant)s and a.id = %(id)s",
            {**_ctx(principal), "id": application_id},
        )
        row = await cur.fetchone()
    message, hint = f"application {application_id} not found", "check the id; ids are per tenant"
    if row is None:
        raise NotFound(message, hint=hint)
    if not row.pop("visible"):
        denied = AuditEvent(
            principal,
            "read",
            "applications",
            "denied",
            subject_id=str(application_id),
            request_id=request_id,
            reason="row_rule",
        )
        raise RowHidden(message, denied, hint=hint)
    shown, classes = _shown(row, _APPLICATION_FIELDS, principal.role.value)
    await arecord(
        conn,
        AuditEvent(
            principal,
            "read",
            "applications",
            field_classes=frozenset(classes),
            row_count=1,
            subject_id=str(application_id),
            request_id=request_id,
        ),
    )
    return shown
