"""Recruiting write routes: thin adapters to ``recruiting.commands``, each in one tenant transaction
with its events (outbox) and, when the caller sends ``Idempotency-Key``, its stored response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from pavedroad.recruiting import commands
from pavedroad.service import idempotency
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal, atransaction

router = APIRouter(prefix="/v1", tags=["recruiting writes"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]
Id = Annotated[int, Path(ge=1, le=2**62)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry a write safely with the same key: the first response is replayed, nothing is written twice.",
    ),
]


class StageMove(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to_stage_id": 42}]})
    to_stage_id: int = Field(ge=1, le=2**62)
    at: datetime | None = None


class Archive(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "rejected_by_us"}]})
    reason: Literal["rejected_by_us", "withdrew", "position_filled", "no_response", "duplicate", "other"]
    at: datetime | None = None


class Hire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: datetime | None = None


class NewInterview(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"stage_id": 42, "scheduled_at": "2026-12-01T15:00:00Z", "participant_ids": [7, 9]}]
        },
    )
    stage_id: int = Field(ge=1, le=2**62)
    scheduled_at: datetime
    participant_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=20)
    duration_minutes: int = Field(default=45, ge=5, le=commands.MAX_INTERVIEW_MINUTES)


class NewScorecard(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"recommendation": "yes", "overall_rating": 4, "notes": "Strong design."}]},
    )
    recommendation: Literal["strong_no", "no", "yes", "strong_yes"]
    overall_rating: int = Field(ge=1, le=5)
    notes: str = Field(default="", max_length=10_000)


class NewOffer(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"salary": "145000.00", "currency": "USD"}]}
    )
    salary: Decimal = Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    start_date: date | None = None


class OfferResolution(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "accepted"}]})
    status: Literal["accepted", "declined", "rescinded"]


Command = Callable[[psycopg.AsyncConnection], Awaitable[Any]]


async def _write(
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel | None,
    command: Command,
    *,
    status: int,
) -> JSONResponse:
    """Run ``command`` in one tenant transaction; claim/replay the idempotency key in the same one."""
    async with atransaction(request.app.state.pool, principal) as conn:
        if key is not None:
            digest = idempotency.request_hash(
                request.method,
                request.url.path,
                body.model_dump(mode="json") if body else None,
                caller=f"{principal.user_id}:{principal.role.value}",
            )
            replay = await idempotency.begin(conn, principal.tenant_id, key, digest)
            if replay is not None:
                return JSONResponse(replay.body, replay.status_code, headers={"Idempotent-Replayed": "true"})
        payload = jsonable_encoder(await command(conn))
        if key is not None:
            await idempotency.finish(conn, principal.tenant_id, key, status, payload)
    return JSONResponse(payload, status)


@router.post("/applications", status_code=201, summary="Create an application (and its candidate)")
async def create_application(
    request: Request,
    principal: PrincipalDep,
    body: Annotated[
        commands.NewApplication,
        Body(
            examples=[
                {
                    "job_id": 3,
                    "candidate": {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"},
                    "source_id": 1,
                }
            ]
        ),
    ],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await _write(
        request,
        principal,
        idempotency_key,
        body,
        lambda conn: commands.create_application(conn, principal, body),
        status=201,
    )


@router.post("/applications/{application_id}/moves", status_code=201, summary="Move an application to a stage")
async def move_stage(
    request: Request,
    principal: PrincipalDep,
    application_id: Id,
    body: StageMove,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, int]:
        return {
            "transition_id": await commands.move_stage(conn, principal, application_id, body.to_stage_id, at=body.at)
        }

    return await _write(request, principal, idempotency_key, body, command, status=201)


@router.post("/applications/{application_id}/archive", summary="Archive an application with a reason")
async def archive(
    request: Request,
    principal: PrincipalDep,
    application_id: Id,
    body: Archive,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, str]:
        await commands.archive_application(conn, principal, application_id, body.reason, at=body.at)
        return {"status": "archived"}

    return await _write(request, principal, idempotency_key, body, command, status=200)


@router.post("/applications/{application_id}/hire", summary="Mark an application hired")
async def hire(
    request: Request,
    principal: PrincipalDep,
    application_id: Id,
    body: Hire | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, str]:
        await commands.hire_application(conn, principal, application_id, at=body.at if body else None)
        return {"status": "hired"}

    return await _write(request, principal, idempotency_key, body, command, status=200)


@router.post("/applications/{application_id}/interviews", status_code=201, summary="Schedule an interview")
async def schedule_interview(
    request: Request,
    principal: PrincipalDep,
    application_id: Id,
    body: NewInterview,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, int]:
        interview_id = await commands.schedule_interview(
            conn,
            principal,
            application_id,
            stage_id=body.stage_id,
            scheduled_at=body.scheduled_at,
            participant_ids=body.participant_ids,
            duration_minutes=body.duration_minutes,
        )
        return {"interview_id": interview_id}

    return await _write(request, principal, idempotency_key, body, command, status=201)


@router.post("/interviews/{interview_id}/scorecards", status_code=201, summary="Submit your scorecard")
async def submit_scorecard(
    request: Request,
    principal: PrincipalDep,
    interview_id: Id,
    body: NewScorecard,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, int]:
        scorecard_id = await commands.submit_scorecard(
            conn,
            principal,
            interview_id,
            recommendation=body.recommendation,
            overall_rating=body.overall_rating,
            notes=body.notes,
        )
        return {"scorecard_id": scorecard_id}

    return await _write(request, principal, idempotency_key, body, command, status=201)


@router.post("/applications/{application_id}/offers", status_code=201, summary="Extend an offer")
async def extend_offer(
    request: Request,
    principal: PrincipalDep,
    application_id: Id,
    body: NewOffer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, int]:
        offer_id = await commands.extend_offer(
            conn, principal, application_id, salary=body.salary, currency=body.currency, start_date=body.start_date
        )
        return {"offer_id": offer_id}

    return await _write(request, principal, idempotency_key, body, command, status=201)


@router.post("/offers/{offer_id}/resolution", summary="Record the candidate's answer to an offer")
async def resolve_offer(
    request: Request,
    principal: PrincipalDep,
    offer_id: Id,
    body: OfferResolution,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, str]:
        await commands.resolve_offer(conn, principal, offer_id, body.status)
        return {"status": body.status}

    return await _write(request, principal, idempotency_key, body, command, status=200)
