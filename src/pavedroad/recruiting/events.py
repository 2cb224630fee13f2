"""The recruiting domain's events: payload schemas (versioned, classified) and how each projects into
the warehouse mirror of the Postgres tables.

Every application-scoped event uses the application as its aggregate, so a consumer sees an
application's life (created, moved, interviewed, offered, hired) in commit order.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pavedroad.events import EventSchema, classified, event_schema
from pavedroad.warehouse import Const, Insert, Projection, Update

__all__ = [
    "MIRRORED_TABLES",
    "PROJECTIONS",
    "UNPROJECTED",
    "ApplicationArchived",
    "ApplicationCreated",
    "ApplicationHired",
    "CandidateCreated",
    "CustomFieldChanged",
    "CustomFieldDefined",
    "InterviewScheduled",
    "OfferExtended",
    "OfferResolved",
    "ScorecardSubmitted",
    "StageMoved",
]

ArchiveReason = Literal["rejected_by_us", "withdrew", "position_filled", "no_response", "duplicate", "other"]


@event_schema
class CandidateCreated(EventSchema):
    event_type: ClassVar[str] = "candidate_created"
    aggregate_type: ClassVar[str] = "candidate"
    version: ClassVar[int] = 1

    candidate_id: int
    first_name: str = classified("personal")
    last_name: str = classified("personal")
    email: str = classified("personal")
    phone: str | None = classified("personal", None)
    city: str | None = classified("personal", None)
    linkedin_url: str | None = classified("personal", None)
    created_at: datetime
    custom: dict[str, Any] = classified("confidential", default_factory=dict)


@event_schema
class ApplicationCreated(EventSchema):
    event_type: ClassVar[str] = "application_created"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    application_id: int
    candidate_id: int
    job_id: int
    source_id: int | None = None
    stage_id: int
    transition_id: int
    applied_at: datetime
    created_by: int | None = None
    custom: dict[str, Any] = classified("confidential", default_factory=dict)


@event_schema
class StageMoved(EventSchema):
    event_type: ClassVar[str] = "stage_moved"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    application_id: int
    transition_id: int
    from_stage_id: int | None
    to_stage_id: int
    moved_at: datetime
    moved_by: int | None = None


@event_schema
class ApplicationArchived(EventSchema):
    event_type: ClassVar[str] = "application_archived"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    application_id: int
    reason: ArchiveReason
    archived_at: datetime
    archived_by: int | None = None


@event_schema
class ApplicationHired(EventSchema):
    event_type: ClassVar[str] = "application_hired"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    application_id: int
    hired_at: datetime
    hired_by: int | None = None


@event_schema
class InterviewScheduled(EventSchema):
    event_type: ClassVar[str] = "interview_scheduled"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    interview_id: int
    application_id: int
    stage_id: int
    scheduled_at: datetime
    duration_minutes: int
    participant_ids: list[int]


@event_schema
class ScorecardSubmitted(EventSchema):
    event_type: ClassVar[str] = "scorecard_submitted"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    scorecard_id: int
    interview_id: int
    application_id: int
    interviewer_id: int
    recommendation: Literal["strong_no", "no", "yes", "strong_yes"]
    overall_rating: int
    notes: str = classified("confidential", "")
    submitted_at: datetime


@event_schema
class OfferExtended(EventSchema):
    event_type: ClassVar[str] = "offer_extended"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    offer_id: int
    application_id: int
    version_number: int
    salary: str = classified("confidential")
    currency: str
    extended_at: datetime
    start_date: date | None = None


@event_schema
class OfferResolved(EventSchema):
    event_type: ClassVar[str] = "offer_resolved"
    aggregate_type: ClassVar[str] = "application"
    version: ClassVar[int] = 1

    offer_id: int
    application_id: int
    status: Literal["accepted", "declined", "rescinded"]
    resolved_at: datetime


@event_schema
class CustomFieldDefined(EventSchema):
    """A tenant admin defined a custom field, with the classification chosen for it (names, never values)."""

    event_type: ClassVar[str] = "custom_field_defined"
    aggregate_type: ClassVar[str] = "custom_field"
    version: ClassVar[int] = 1

    definition_id: int
    entity: str
    key: str
    label: str
    field_type: str
    classified_as: str
    defined_by: int | None = None
    defined_at: datetime


@event_schema
class CustomFieldChanged(EventSchema):
    """A tenant admin relabelled or reclassified a custom field: who may read it changes from the next query."""

    event_type: ClassVar[str] = "custom_field_changed"
    aggregate_type: ClassVar[str] = "custom_field"
    version: ClassVar[int] = 1

    definition_id: int
    entity: str
    key: str
    label: str
    previous_label: str
    classified_as: str
    previously_classified_as: str
    changed_by: int | None = None
    changed_at: datetime


# Tables the warehouse mirrors (same names and columns as Postgres). EEOC self-identification is left
# out: it is sensitive and only ever read through suppressed aggregates in Postgres.
MIRRORED_TABLES: tuple[str, ...] = (
    "tenants",
    "users",
    "departments",
    "locations",
    "sources",
    "jobs",
    "job_hiring_team",
    "job_stages",
    "candidates",
    "applications",
    "stage_transitions",
    "interviews",
    "interview_participants",
    "scorecards",
    "offers",
)

# Event types that change no mirrored table: custom field definitions are the tenant's configuration (the
# compiler reads them from Postgres on every path), kept in the event log for audit, not mirrored.
UNPROJECTED: frozenset[str] = frozenset({"custom_field_defined", "custom_field_changed"})

# How each event type changes the mirror: payload key → column (Const for fixed values). Rows are keyed
# by the table's primary key (tenant_id comes from the envelope).
PROJECTIONS: dict[str, tuple[Projection, ...]] = {
    "candidate_created": (
        Insert(
            "candidates",
            {
                "id": "candidate_id",
                "first_name": "first_name",
                "last_name": "last_name",
                "email": "email",
                "phone": "phone",
                "city": "city",
                "linkedin_url": "linkedin_url",
                "created_at": "created_at",
                "custom": "custom",
            },
        ),
    ),
    "application_created": (
        Insert(
            "applications",
            {
                "id": "application_id",
                "candidate_id": "candidate_id",
                "job_id": "job_id",
                "source_id": "source_id",
                "current_stage_id": "stage_id",
                "status": Const("active"),
                "applied_at": "applied_at",
                "last_activity_at": "applied_at",
                "custom": "custom",
            },
        ),
        Insert(
            "stage_transitions",
            {
                "id": "transition_id",
                "application_id": "application_id",
                "from_stage_id": Const(None),
                "to_stage_id": "stage_id",
                "moved_at": "applied_at",
                "moved_by": "created_by",
            },
        ),
    ),
    "stage_moved": (
        Update(
            "applications", {"id": "application_id", "current_stage_id": "to_stage_id", "last_activity_at": "moved_at"}
        ),
        Insert(
            "stage_transitions",
            {
                "id": "transition_id",
                "application_id": "application_id",
                "from_stage_id": "from_stage_id",
                "to_stage_id": "to_stage_id",
                "moved_at": "moved_at",
                "moved_by": "moved_by",
            },
        ),
    ),
    "application_archived": (
        Update(
            "applications",
            {
                "id": "application_id",
                "status": Const("archived"),
                "archive_reason": "reason",
                "archived_at": "archived_at",
                "last_activity_at": "archived_at",
            },
        ),
    ),
    "application_hired": (
        Update(
            "applications",
            {
                "id": "application_id",
                "status": Const("hired"),
                "hired_at": "hired_at",
                "last_activity_at": "hired_at",
            },
        ),
    ),
    "interview_scheduled": (
        Insert(
            "interviews",
            {
                "id": "interview_id",
                "application_id": "application_id",
                "stage_id": "stage_id",
                "scheduled_at": "scheduled_at",
                "duration_minutes": "duration_minutes",
                "status": Const("scheduled"),
            },
        ),
        Insert("interview_participants", {"interview_id": "interview_id", "user_id": "participant_ids[]"}),
        Update("applications", {"id": "application_id", "last_activity_at": "@occurred_at"}),
    ),
    "scorecard_submitted": (
        Insert(
            "scorecards",
            {
                "id": "scorecard_id",
                "interview_id": "interview_id",
                "application_id": "application_id",
                "interviewer_id": "interviewer_id",
                "recommendation": "recommendation",
                "overall_rating": "overall_rating",
                "notes": "notes",
                "submitted_at": "submitted_at",
            },
        ),
        Update("interviews", {"id": "interview_id", "status": Const("completed")}),
    ),
    "offer_extended": (
        Insert(
            "offers",
            {
                "id": "offer_id",
                "application_id": "application_id",
                "version": "version_number",
                "status": Const("extended"),
                "salary": "salary",
                "currency": "currency",
                "extended_at": "extended_at",
                "start_date": "start_date",
            },
        ),
    ),
    "offer_resolved": (Update("offers", {"id": "offer_id", "status": "status", "resolved_at": "resolved_at"}),),
}
