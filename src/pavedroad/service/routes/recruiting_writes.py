"""Recruiting write routes: thin adapters to ``recruiting.commands``, each declared with
``idempotent_write`` (one tenant transaction with its events, and the ``Idempotency-Key`` replay).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, ConfigDict, Field

from pavedroad.recruiting import commands
from pavedroad.service.writes import idempotent_write
from pavedroad.tenancy import Principal

router = APIRouter(prefix="/v1", tags=["recruiting writes"])

Id = Annotated[int, Path(ge=1, le=2**62)]
Conn = psycopg.AsyncConnection


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


@idempotent_write(router.post, "/applications", status_code=201, summary="Create an application (and its candidate)")
async def create_application(
    conn: Conn,
    principal: Principal,
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
) -> Any:
    return await commands.create_application(conn, principal, body)


@idempotent_write(router.post, "/applications/{application_id}/moves", status_code=201,
                  summary="Move an application to a stage")  # fmt: skip
async def move_stage(conn: Conn, principal: Principal, application_id: Id, body: StageMove) -> dict[str, int]:
    return {"transition_id": await commands.move_stage(conn, principal, application_id, body.to_stage_id, at=body.at)}


@idempotent_write(router.post, "/applications/{application_id}/archive", summary="Archive an application with a reason")
async def archive(conn: Conn, principal: Principal, application_id: Id, body: Archive) -> dict[str, str]:
    await commands.archive_application(conn, principal, application_id, body.reason, at=body.at)
    return {"status": "archived"}


@idempotent_write(router.post, "/applications/{application_id}/hire", summary="Mark an application hired")
async def hire(conn: Conn, principal: Principal, application_id: Id, body: Hire | None = None) -> dict[str, str]:
    await commands.hire_application(conn, principal, application_id, at=body.at if body else None)
    return {"status": "hired"}


@idempotent_write(router.post, "/applications/{application_id}/interviews", status_code=201,
                  summary="Schedule an interview")  # fmt: skip
async def schedule_interview(
    conn: Conn, principal: Principal, application_id: Id, body: NewInterview
) -> dict[str, int]:
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


@idempotent_write(
    router.post, "/interviews/{interview_id}/scorecards", status_code=201, summary="Submit your scorecard"
)
async def submit_scorecard(conn: Conn, principal: Principal, interview_id: Id, body: NewScorecard) -> dict[str, int]:
    scorecard_id = await commands.submit_scorecard(
        conn,
        principal,
        interview_id,
        recommendation=body.recommendation,
        overall_rating=body.overall_rating,
        notes=body.notes,
    )
    return {"scorecard_id": scorecard_id}


@idempotent_write(router.post, "/applications/{application_id}/offers", status_code=201, summary="Extend an offer")
async def extend_offer(conn: Conn, principal: Principal, application_id: Id, body: NewOffer) -> dict[str, int]:
    offer_id = await commands.extend_offer(
        conn, principal, application_id, salary=body.salary, currency=body.currency, start_date=body.start_date
    )
    return {"offer_id": offer_id}


@idempotent_write(router.post, "/offers/{offer_id}/resolution", summary="Record the candidate's answer to an offer")
async def resolve_offer(conn: Conn, principal: Principal, offer_id: Id, body: OfferResolution) -> dict[str, str]:
    await commands.resolve_offer(conn, principal, offer_id, body.status)
    return {"status": body.status}
