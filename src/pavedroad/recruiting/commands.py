"""Write side of the recruiting domain: each command changes rows *and* appends its events in the
caller's transaction (``tenancy.atransaction``), so a change and its events commit together or not at all.

Every command takes the transaction's connection and the ``Principal``; validates its input; raises
pavedroad errors (``InvalidInput`` 400, ``Forbidden`` 403, ``NotFound`` 404, ``Conflict`` 409); and locks
the application row it changes, so concurrent commands on one application serialise.

    async with atransaction(pool, principal) as tx:
        created = await create_application(tx, principal, NewApplication(job_id=3, candidate=NewCandidate(...)))
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pavedroad.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from pavedroad.events import Event, aappend_many
from pavedroad.query.overlay import aload_tenant_schema
from pavedroad.recruiting.events import (
    ApplicationArchived,
    ApplicationCreated,
    ApplicationHired,
    CandidateCreated,
    InterviewScheduled,
    OfferExtended,
    OfferResolved,
    ScorecardSubmitted,
    StageMoved,
)
from pavedroad.tenancy import Principal, Role

__all__ = [
    "MAX_INTERVIEW_MINUTES",
    "CreatedApplication",
    "NewApplication",
    "NewCandidate",
    "archive_application",
    "create_application",
    "extend_offer",
    "hire_application",
    "move_stage",
    "resolve_offer",
    "schedule_interview",
    "submit_scorecard",
]

WRITERS = frozenset({Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER})
SCORERS = frozenset({Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER})
MAX_INTERVIEW_MINUTES = 8 * 60  # the longest interview a command accepts; the API documents the same bound
ArchiveReason = Literal["rejected_by_us", "withdrew", "position_filled", "no_response", "duplicate", "other"]


# Custom field values as the tenant's definitions type them (text, number, date as ISO text, boolean,
# single or multi select): a scalar or a flat list of scalars under a key shaped like a definition's key.
# Bounded in size and depth, and text must be valid Unicode, so every accepted body can be stored.
_CustomText = Annotated[str, StringConstraints(max_length=10_000)]  # constrained str: lone surrogates refused
_CustomScalar = _CustomText | bool | int | Annotated[float, Field(allow_inf_nan=False)] | None
CustomValues = Annotated[
    dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")],
        _CustomScalar | Annotated[list[_CustomScalar], Field(max_length=200)],
    ],
    Field(max_length=200),
]


class NewCandidate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: str = Field(min_length=1, max_length=200)
    last_name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=50)
    city: str | None = Field(default=None, max_length=200)
    linkedin_url: str | None = Field(default=None, max_length=500)
    custom: CustomValues = Field(default_factory=dict)


class NewApplication(BaseModel):
    """A new candidate (or an existing one by ``candidate_id``) applying to ``job_id``."""

    model_config = ConfigDict(extra="forbid")

    job_id: int = Field(ge=1)
    candidate: NewCandidate | None = None
    candidate_id: int | None = Field(default=None, ge=1)
    source_id: int | None = Field(default=None, ge=1)
    custom: CustomValues = Field(default_factory=dict)


class CreatedApplication(BaseModel):
    candidate_id: int
    application_id: int
    stage_id: int
    transition_id: int


def _now(at: datetime | None) -> datetime:
    if at is not None and at.tzinfo is None:
        raise InvalidInput("timestamps must carry a time zone", hint="send ISO 8601 with an offset, e.g. ...Z")
    return at or datetime.now(UTC)


def _require(principal: Principal, roles: frozenset[Role], action: str) -> None:
    if principal.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"role '{principal.role.value}' may not {action}", hint=f"allowed roles: {allowed}")


async def _one(conn: psycopg.AsyncConnection, query: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    return await (await conn.execute(query, params)).fetchone()


async def _locked_application(conn: psycopg.AsyncConnection, tenant: str, application_id: int) -> tuple[Any, ...]:
    row = await _one(
        conn,
        "select id, job_id, current_stage_id, status from applications where tenant_id = %s and id = %s for update",
        (tenant, application_id),
    )
    if row is None:
        raise NotFound(f"application {application_id} not found", hint="check the id; ids are per tenant")
    return row


def _iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


# custom_field_definitions.field_type ─► does a JSON value fit it? A value that does not would make every
# query that reads the field fail on a cast (whose message quotes the value), so it is refused on write.
_CUSTOM_VALUE_FITS: dict[str, Any] = {
    "text": lambda v: isinstance(v, str),
    "single_select": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, str) and _iso_date(v),
    "multi_select": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}


async def _check_custom(conn: psycopg.AsyncConnection, tenant: str, entity: str, values: dict[str, Any]) -> None:
    """Each value of a defined custom field fits the field's type (null always does)."""
    if not values:
        return
    schema = await aload_tenant_schema(conn, tenant)
    for cf in schema.custom:
        value = values.get(cf.key)
        fits = _CUSTOM_VALUE_FITS.get(cf.field_type)
        if cf.entity == entity and value is not None and fits is not None and not fits(value):
            raise InvalidInput(
                f"custom.{cf.key} of {entity} must be a {cf.field_type} value",
                hint="numbers as JSON numbers, dates as ISO text (2024-01-31), booleans as true/false",
            )


def _active(row: tuple[Any, ...], action: str) -> None:
    if row[3] != "active":
        raise Conflict(f"application {row[0]} is {row[3]}; cannot {action}", hint="only active applications change")


async def create_application(
    conn: psycopg.AsyncConnection, principal: Principal, new: NewApplication, *, at: datetime | None = None
) -> CreatedApplication:
    """Create the candidate (unless ``candidate_id`` is given) and the application in the job's first stage."""
    _require(principal, WRITERS, "create applications")
    if (new.candidate is None) == (new.candidate_id is None):
        raise InvalidInput("give exactly one of candidate or candidate_id", hint="a new candidate, or an existing id")
    now, tenant, events = _now(at), principal.tenant_id, []
    job = await _one(conn, "select status from jobs where tenant_id = %s and id = %s", (tenant, new.job_id))
    if job is None:
        raise NotFound(f"job {new.job_id} not found", hint="list jobs with GET /v1/jobs")
    if job[0] != "open":
        raise Conflict(f"job {new.job_id} is {job[0]}; it takes no applications", hint="reopen the job first")
    stage = await _one(
        conn,
        "select id from job_stages where tenant_id = %s and job_id = %s order by position limit 1",
        (tenant, new.job_id),
    )
    if stage is None:
        raise Conflict(f"job {new.job_id} has no stages", hint="add the job's pipeline stages first")
    if new.source_id is not None and not await _one(
        conn, "select 1 from sources where tenant_id = %s and id = %s", (tenant, new.source_id)
    ):
        raise NotFound(f"source {new.source_id} not found")
    await _check_custom(conn, tenant, "applications", new.custom)
    if new.candidate is not None:
        c = new.candidate
        await _check_custom(conn, tenant, "candidates", c.custom)
        row = await _one(
            conn,
            "insert into candidates (tenant_id, first_name, last_name, email, phone, city, linkedin_url, created_at,"
            " custom) values (%s, %s, %s, %s, %s, %s, %s, %s, %s) returning id",
            (tenant, c.first_name, c.last_name, c.email, c.phone, c.city, c.linkedin_url, now, Jsonb(c.custom)),
        )
        row = present(row, "the new candidate row")
        candidate_id = int(row[0])
        events.append(
            CandidateCreated(
                candidate_id=candidate_id,
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                phone=c.phone,
                city=c.city,
                linkedin_url=c.linkedin_url,
                created_at=now,
                custom=c.custom,
            ).to_event(tenant, aggregate_id=candidate_id, occurred_at=now)
        )
    else:
        if new.candidate_id is None:
            raise InvalidInput("an application needs a candidate or a candidate_id")
        if not await _one(
            conn, "select 1 from candidates where tenant_id = %s and id = %s", (tenant, new.candidate_id)
        ):
            raise NotFound(f"candidate {new.candidate_id} not found")
        candidate_id = new.candidate_id
    row = await _one(
        conn,
        "insert into applications (tenant_id, candidate_id, job_id, source_id, current_stage_id, applied_at,"
        " last_activity_at, custom) values (%s, %s, %s, %s, %s, %s, %s, %s) returning id",
        (tenant, candidate_id, new.job_id, new.source_id, stage[0], now, now, Jsonb(new.custom)),
    )
    row = present(row, "the new application row")
    application_id = int(row[0])
    transition = await _one(
        conn,
        "insert into stage_transitions (tenant_id, application_id, from_stage_id, to_stage_id, moved_at, moved_by)"
        " values (%s, %s, null, %s, %s, %s) returning id",
        (tenant, application_id, stage[0], now, principal.user_id),
    )
    transition = present(transition, "the first stage transition row")
    events.append(
        ApplicationCreated(
            application_id=application_id,
            candidate_id=candidate_id,
            job_id=new.job_id,
            source_id=new.source_id,
            stage_id=int(stage[0]),
            transition_id=int(transition[0]),
            applied_at=now,
            created_by=principal.user_id,
            custom=new.custom,
        ).to_event(tenant, aggregate_id=application_id, occurred_at=now)
    )
    await aappend_many(conn, events)
    return CreatedApplication(
        candidate_id=candidate_id,
        application_id=application_id,
        stage_id=int(stage[0]),
        transition_id=int(transition[0]),
    )


async def _move(
    conn: psycopg.AsyncConnection, principal: Principal, app: tuple[Any, ...], to_stage_id: int, now: datetime
) -> Event:
    tenant = principal.tenant_id
    row = await _one(
        conn,
        "insert into stage_transitions (tenant_id, application_id, from_stage_id, to_stage_id, moved_at, moved_by)"
        " values (%s, %s, %s, %s, %s, %s) returning id",
        (tenant, app[0], app[2], to_stage_id, now, principal.user_id),
    )
    row = present(row, "the stage transition row")
    await conn.execute(
        "update applications set current_stage_id = %s, last_activity_at = %s where tenant_id = %s and id = %s",
        (to_stage_id, now, tenant, app[0]),
    )
    return StageMoved(
        application_id=app[0],
        transition_id=int(row[0]),
        from_stage_id=app[2],
        to_stage_id=to_stage_id,
        moved_at=now,
        moved_by=principal.user_id,
    ).to_event(tenant, aggregate_id=app[0], occurred_at=now)


async def move_stage(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    application_id: int,
    to_stage_id: int,
    *,
    at: datetime | None = None,
) -> int:
    """Move an active application to another stage of its job; return the transition id."""
    _require(principal, WRITERS, "move applications")
    app = await _locked_application(conn, principal.tenant_id, application_id)
    _active(app, "move it")
    if app[2] == to_stage_id:
        raise Conflict(f"application {application_id} is already in stage {to_stage_id}")
    if not await _one(
        conn,
        "select 1 from job_stages where tenant_id = %s and id = %s and job_id = %s",
        (principal.tenant_id, to_stage_id, app[1]),
    ):
        raise InvalidInput(f"stage {to_stage_id} is not a stage of job {app[1]}", hint="use one of the job's stages")
    event = await _move(conn, principal, app, to_stage_id, _now(at))
    await aappend_many(conn, [event])
    return int(event.payload["transition_id"])


async def archive_application(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    application_id: int,
    reason: ArchiveReason,
    *,
    at: datetime | None = None,
) -> None:
    """Archive (reject or close) an active application with a reason."""
    _require(principal, WRITERS, "archive applications")
    app = await _locked_application(conn, principal.tenant_id, application_id)
    _active(app, "archive it")
    now = _now(at)
    await conn.execute(
        "update applications set status = 'archived', archive_reason = %s, archived_at = %s, last_activity_at = %s"
        " where tenant_id = %s and id = %s",
        (reason, now, now, principal.tenant_id, application_id),
    )
    event = ApplicationArchived(
        application_id=application_id, reason=reason, archived_at=now, archived_by=principal.user_id
    ).to_event(principal.tenant_id, aggregate_id=application_id, occurred_at=now)
    await aappend_many(conn, [event])


async def hire_application(
    conn: psycopg.AsyncConnection, principal: Principal, application_id: int, *, at: datetime | None = None
) -> None:
    """Mark an active application hired, moving it to the job's ``hired`` stage when it has one."""
    _require(principal, WRITERS, "hire")
    app = await _locked_application(conn, principal.tenant_id, application_id)
    _active(app, "hire")
    now, events = _now(at), []
    hired_stage = await _one(
        conn,
        "select id from job_stages where tenant_id = %s and job_id = %s and stage_type = 'hired'"
        " order by position limit 1",
        (principal.tenant_id, app[1]),
    )
    if hired_stage is not None and hired_stage[0] != app[2]:
        events.append(await _move(conn, principal, app, int(hired_stage[0]), now))
    await conn.execute(
        "update applications set status = 'hired', hired_at = %s, last_activity_at = %s"
        " where tenant_id = %s and id = %s",
        (now, now, principal.tenant_id, application_id),
    )
    events.append(
        ApplicationHired(application_id=application_id, hired_at=now, hired_by=principal.user_id).to_event(
            principal.tenant_id, aggregate_id=application_id, occurred_at=now
        )
    )
    await aappend_many(conn, events)


async def schedule_interview(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    application_id: int,
    *,
    stage_id: int,
    scheduled_at: datetime,
    participant_ids: list[int],
    duration_minutes: int = 45,
    at: datetime | None = None,
) -> int:
    """Schedule an interview for an active application with at least one participant; return its id."""
    _require(principal, WRITERS, "schedule interviews")
    if not 1 <= duration_minutes <= MAX_INTERVIEW_MINUTES:
        raise InvalidInput(f"duration_minutes must be 1..{MAX_INTERVIEW_MINUTES}", hint="e.g. 45")
    if not participant_ids or len(set(participant_ids)) != len(participant_ids):
        raise InvalidInput("participant_ids must name at least one user, each once")
    scheduled_at = _now(scheduled_at)
    now, tenant = _now(at), principal.tenant_id
    app = await _locked_application(conn, tenant, application_id)
    _active(app, "schedule interviews")
    if not await _one(
        conn, "select 1 from job_stages where tenant_id = %s and id = %s and job_id = %s", (tenant, stage_id, app[1])
    ):
        raise InvalidInput(f"stage {stage_id} is not a stage of job {app[1]}")
    found = await (
        await conn.execute(
            "select count(*) from users where tenant_id = %s and id = any(%s) and active", (tenant, participant_ids)
        )
    ).fetchone()
    if found is None or found[0] != len(participant_ids):
        raise NotFound("some participant_ids are not active users of this tenant")
    row = await _one(
        conn,
        "insert into interviews (tenant_id, application_id, stage_id, scheduled_at, duration_minutes)"
        " values (%s, %s, %s, %s, %s) returning id",
        (tenant, application_id, stage_id, scheduled_at, duration_minutes),
    )
    row = present(row, "the new interview row")
    interview_id = int(row[0])
    async with conn.cursor() as cur:
        await cur.executemany(
            "insert into interview_participants (tenant_id, interview_id, user_id) values (%s, %s, %s)",
            [(tenant, interview_id, u) for u in participant_ids],
        )
    await conn.execute(
        "update applications set last_activity_at = %s where tenant_id = %s and id = %s", (now, tenant, application_id)
    )
    event = InterviewScheduled(
        interview_id=interview_id,
        application_id=application_id,
        stage_id=stage_id,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        participant_ids=participant_ids,
    ).to_event(tenant, aggregate_id=application_id, occurred_at=now)
    await aappend_many(conn, [event])
    return interview_id


async def submit_scorecard(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    interview_id: int,
    *,
    recommendation: Literal["strong_no", "no", "yes", "strong_yes"],
    overall_rating: int,
    notes: str = "",
    at: datetime | None = None,
) -> int:
    """The principal's scorecard for an interview they took part in; completes the interview. Returns its id."""
    _require(principal, SCORERS, "submit scorecards")
    if principal.user_id is None:
        raise Forbidden("a scorecard needs a user", hint="submit with a user's API key")
    if not 1 <= overall_rating <= 5:
        raise InvalidInput("overall_rating must be 1..5")
    if len(notes) > 20_000:
        raise InvalidInput("notes are limited to 20,000 characters")
    tenant, now = principal.tenant_id, _now(at)
    interview = await _one(
        conn,
        "select application_id, status from interviews where tenant_id = %s and id = %s",
        (tenant, interview_id),
    )
    if interview is None:
        raise NotFound(f"interview {interview_id} not found")
    await _locked_application(conn, tenant, int(interview[0]))
    if interview[1] == "cancelled":
        raise Conflict(f"interview {interview_id} was cancelled")
    if not await _one(
        conn,
        "select 1 from interview_participants where tenant_id = %s and interview_id = %s and user_id = %s",
        (tenant, interview_id, principal.user_id),
    ):
        raise Forbidden(f"user {principal.user_id} did not take part in interview {interview_id}")
    try:
        row = await _one(
            conn,
            "insert into scorecards (tenant_id, interview_id, application_id, interviewer_id, recommendation,"
            " overall_rating, notes, submitted_at) values (%s, %s, %s, %s, %s, %s, %s, %s) returning id",
            (tenant, interview_id, interview[0], principal.user_id, recommendation, overall_rating, notes, now),
        )
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"user {principal.user_id} already scored interview {interview_id}") from None
    row = present(row, "the new scorecard row")
    await conn.execute(
        "update interviews set status = 'completed' where tenant_id = %s and id = %s", (tenant, interview_id)
    )
    event = ScorecardSubmitted(
        scorecard_id=int(row[0]),
        interview_id=interview_id,
        application_id=int(interview[0]),
        interviewer_id=principal.user_id,
        recommendation=recommendation,
        overall_rating=overall_rating,
        notes=notes,
        submitted_at=now,
    ).to_event(tenant, aggregate_id=int(interview[0]), occurred_at=now)
    await aappend_many(conn, [event])
    return int(row[0])


async def extend_offer(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    application_id: int,
    *,
    salary: Decimal | str | int,
    currency: str = "USD",
    start_date: date | None = None,
    at: datetime | None = None,
) -> int:
    """Extend a new offer version to an active application (none may be outstanding); return its id."""
    _require(principal, WRITERS, "extend offers")
    try:
        amount = Decimal(str(salary)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise InvalidInput(f"salary {salary!r} is not a number", hint="e.g. 120000.00") from None
    if amount < 0 or amount >= Decimal("1e10"):
        raise InvalidInput("salary must be between 0 and 9,999,999,999.99")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise InvalidInput(f"currency {currency!r} is not an ISO 4217 code", hint="e.g. USD, EUR")
    tenant, now = principal.tenant_id, _now(at)
    app = await _locked_application(conn, tenant, application_id)
    _active(app, "extend offers")
    latest = await _one(
        conn,
        "select coalesce(max(version), 0), count(*) filter (where status = 'extended') from offers"
        " where tenant_id = %s and application_id = %s",
        (tenant, application_id),
    )
    latest = present(latest, "the offer summary row")
    if latest[1]:
        raise Conflict(f"application {application_id} has an outstanding offer", hint="resolve it first")
    version = int(latest[0]) + 1
    row = await _one(
        conn,
        "insert into offers (tenant_id, application_id, version, status, salary, currency, extended_at, start_date)"
        " values (%s, %s, %s, 'extended', %s, %s, %s, %s) returning id",
        (tenant, application_id, version, amount, currency, now, start_date),
    )
    row = present(row, "the new offer row")
    event = OfferExtended(
        offer_id=int(row[0]),
        application_id=application_id,
        version_number=version,
        salary=str(amount),
        currency=currency,
        extended_at=now,
        start_date=start_date,
    ).to_event(tenant, aggregate_id=application_id, occurred_at=now)
    await aappend_many(conn, [event])
    return int(row[0])


async def resolve_offer(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    offer_id: int,
    status: Literal["accepted", "declined", "rescinded"],
    *,
    at: datetime | None = None,
) -> None:
    """Record the outcome of an extended offer."""
    _require(principal, WRITERS, "resolve offers")
    if status not in ("accepted", "declined", "rescinded"):
        raise InvalidInput(f"status {status!r} is not accepted, declined or rescinded")
    tenant, now = principal.tenant_id, _now(at)
    offer = await _one(conn, "select application_id from offers where tenant_id = %s and id = %s", (tenant, offer_id))
    if offer is None:
        raise NotFound(f"offer {offer_id} not found")
    await _locked_application(conn, tenant, int(offer[0]))
    current = await _one(
        conn, "select status from offers where tenant_id = %s and id = %s for update", (tenant, offer_id)
    )
    if current is None:
        raise NotFound(f"offer {offer_id} not found")
    if current[0] != "extended":
        raise Conflict(f"offer {offer_id} is {current[0]}; only extended offers resolve")
    await conn.execute(
        "update offers set status = %s, resolved_at = %s where tenant_id = %s and id = %s",
        (status, now, tenant, offer_id),
    )
    event = OfferResolved(offer_id=offer_id, application_id=int(offer[0]), status=status, resolved_at=now).to_event(
        tenant, aggregate_id=int(offer[0]), occurred_at=now
    )
    await aappend_many(conn, [event])
