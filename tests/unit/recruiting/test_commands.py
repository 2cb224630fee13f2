"""The recruiting commands refuse bad input and unfit roles before they touch the database, whoever calls
them (the HTTP routes validate their bodies first; the Python API relies on these checks alone).

The connection passed is ``None``: a command that reached the database would fail with an
AttributeError, not with the domain error the test expects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pavedroad.errors import Forbidden, InvalidInput
from pavedroad.recruiting import commands
from pavedroad.recruiting.commands import NewApplication, NewCandidate
from pavedroad.tenancy import Principal, Role

NO_DB: Any = None
WHEN = datetime(2026, 12, 1, 15, tzinfo=UTC)


def _as(role: Role, user_id: int | None = 7) -> Principal:
    return Principal("alpha", user_id, role)


CANDIDATE = NewCandidate(first_name="Ada", last_name="Byron", email="ada@example.com")


@pytest.mark.parametrize("role", [Role.INTERVIEWER, Role.COMPLIANCE])
async def test_only_writers_create_move_archive_hire_or_offer(role: Role) -> None:
    principal = _as(role)
    calls = [
        lambda: commands.create_application(NO_DB, principal, NewApplication(job_id=1, candidate=CANDIDATE)),
        lambda: commands.move_stage(NO_DB, principal, 1, 2),
        lambda: commands.archive_application(NO_DB, principal, 1, "other"),
        lambda: commands.hire_application(NO_DB, principal, 1),
        lambda: commands.schedule_interview(NO_DB, principal, 1, stage_id=1, scheduled_at=WHEN, participant_ids=[1]),
        lambda: commands.extend_offer(NO_DB, principal, 1, salary=1),
        lambda: commands.resolve_offer(NO_DB, principal, 1, "accepted"),
    ]
    for call in calls:
        with pytest.raises(Forbidden, match=f"role '{role.value}' may not"):
            await call()


async def test_compliance_may_not_submit_scorecards() -> None:
    with pytest.raises(Forbidden):
        await commands.submit_scorecard(NO_DB, _as(Role.COMPLIANCE), 1, recommendation="yes", overall_rating=3)


async def test_a_scorecard_needs_a_user_not_just_a_tenant_key() -> None:
    with pytest.raises(Forbidden, match="needs a user"):
        await commands.submit_scorecard(NO_DB, _as(Role.INTERVIEWER, None), 1, recommendation="yes", overall_rating=3)


@pytest.mark.parametrize(("rating", "notes"), [(0, ""), (6, ""), (3, "x" * 20_001)])
async def test_a_scorecard_out_of_range_is_invalid(rating: int, notes: str) -> None:
    with pytest.raises(InvalidInput):
        await commands.submit_scorecard(
            NO_DB, _as(Role.INTERVIEWER), 1, recommendation="yes", overall_rating=rating, notes=notes
        )


async def test_an_application_names_exactly_one_candidate() -> None:
    both = NewApplication(job_id=1, candidate=CANDIDATE, candidate_id=3)
    with pytest.raises(InvalidInput, match="exactly one"):
        await commands.create_application(NO_DB, _as(Role.RECRUITER), both)
    with pytest.raises(InvalidInput, match="exactly one"):
        await commands.create_application(NO_DB, _as(Role.RECRUITER), NewApplication(job_id=1))


async def test_a_naive_timestamp_is_refused_with_a_hint() -> None:
    naive = NewApplication(job_id=1, candidate=CANDIDATE)
    with pytest.raises(InvalidInput, match="time zone") as refused:
        await commands.create_application(NO_DB, _as(Role.RECRUITER), naive, at=datetime(2026, 1, 1))
    assert refused.value.hint


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"participant_ids": []}, "participant_ids"),
        ({"participant_ids": [4, 4]}, "each once"),
        ({"scheduled_at": datetime(2026, 12, 1)}, "time zone"),
    ],
)
async def test_an_interview_needs_a_sane_duration_distinct_participants_and_a_zoned_time(
    kwargs: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"stage_id": 1, "scheduled_at": WHEN, "participant_ids": [4], **kwargs}
    with pytest.raises(InvalidInput, match=message):
        await commands.schedule_interview(NO_DB, _as(Role.RECRUITER), 1, **args)


@pytest.mark.parametrize(
    ("salary", "currency", "message"),
    [
        ("a lot", "USD", "is not a number"),
        ("-1", "USD", "between 0"),
        ("10000000000", "USD", "between 0"),
        ("100", "usd", "ISO 4217"),
        ("100", "EURO", "ISO 4217"),
        ("100", "U1D", "ISO 4217"),
    ],
)
async def test_an_offer_needs_a_salary_in_range_and_an_iso_currency(salary: str, currency: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        await commands.extend_offer(NO_DB, _as(Role.RECRUITER), 1, salary=salary, currency=currency)


async def test_an_offer_resolves_only_to_accepted_declined_or_rescinded() -> None:
    status: Any = "maybe"
    with pytest.raises(InvalidInput, match="'maybe'"):
        await commands.resolve_offer(NO_DB, _as(Role.RECRUITER), 1, status)


@pytest.mark.parametrize(
    "fields",
    [
        {"first_name": " ", "last_name": "B", "email": "a@b.co"},
        {"first_name": "A", "last_name": "B", "email": "a@b"},
        {"first_name": "A", "last_name": "B", "email": "a@b.co", "nickname": "x"},
    ],
)
def test_a_new_candidate_needs_names_and_an_email_and_nothing_unknown(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="validation error"):
        NewCandidate(**fields)
