"""Recruiting write services: validated input, pavedroad errors, and events only for what committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import Conflict, Forbidden, InvalidInput, NotFound
from pavedroad.recruiting import commands as rc
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import TestDatabase
from tests.integration.events.conftest import World


async def _new(pool: AsyncConnectionPool, world: World, i: int = 0) -> int:
    async with atransaction(pool, world.recruiter) as tx:
        made = await rc.create_application(
            tx,
            world.recruiter,
            rc.NewApplication(
                job_id=world.job_id,
                candidate=rc.NewCandidate(first_name="Ada", last_name=f"L{i}", email=f"ada{i}@example.com"),
            ),
        )
    return made.application_id


def _types(owner_url: str) -> list[str]:
    with psycopg.connect(owner_url) as conn:
        return [r[0] for r in conn.execute("select event_type from event_outbox order by seq").fetchall()]


async def test_roles_are_enforced(world: World, app_pool: AsyncConnectionPool) -> None:
    """Interviewers cannot move applications; compliance cannot create them."""
    app = await _new(app_pool, world)
    with pytest.raises(Forbidden):
        async with atransaction(app_pool, world.interviewer) as tx:
            await rc.move_stage(tx, world.interviewer, app, world.stage_ids[1])
    compliance = Principal(world.tenant, None, Role.COMPLIANCE)
    with pytest.raises(Forbidden):
        async with atransaction(app_pool, compliance) as tx:
            await rc.create_application(tx, compliance, rc.NewApplication(job_id=world.job_id, candidate_id=1))


async def test_invalid_and_conflicting_writes_raise_and_emit_nothing(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool
) -> None:
    """Bad input is a 4xx pavedroad error, and the failed transaction leaves no event."""
    app = await _new(app_pool, world)
    before = _types(database.owner_url)
    cases = [
        (NotFound, lambda tx: rc.move_stage(tx, world.recruiter, 999_999, world.stage_ids[1])),
        (InvalidInput, lambda tx: rc.move_stage(tx, world.recruiter, app, 999_999)),
        (Conflict, lambda tx: rc.move_stage(tx, world.recruiter, app, world.stage_ids[0])),
        (InvalidInput, lambda tx: rc.extend_offer(tx, world.recruiter, app, salary="lots")),
        (InvalidInput, lambda tx: rc.extend_offer(tx, world.recruiter, app, salary=1, currency="dollars")),
        (
            NotFound,
            lambda tx: rc.create_application(tx, world.recruiter, rc.NewApplication(job_id=999, candidate_id=1)),
        ),
        (InvalidInput, lambda tx: rc.create_application(tx, world.recruiter, rc.NewApplication(job_id=world.job_id))),
        (
            InvalidInput,
            lambda tx: rc.schedule_interview(
                tx,
                world.recruiter,
                app,
                stage_id=world.stage_ids[2],
                scheduled_at=datetime.now(UTC),
                participant_ids=[],
            ),
        ),
    ]
    for error, call in cases:
        with pytest.raises(error):
            async with atransaction(app_pool, world.recruiter) as tx:
                await call(tx)
    assert _types(database.owner_url) == before


async def test_lifecycle_rules(database: TestDatabase, world: World, app_pool: AsyncConnectionPool) -> None:
    """One outstanding offer at a time; scorecards once per interviewer; archived applications are final."""
    app = await _new(app_pool, world)
    async with atransaction(app_pool, world.recruiter) as tx:
        offer = await rc.extend_offer(tx, world.recruiter, app, salary="100000")
    with pytest.raises(Conflict):
        async with atransaction(app_pool, world.recruiter) as tx:
            await rc.extend_offer(tx, world.recruiter, app, salary="110000")
    async with atransaction(app_pool, world.recruiter) as tx:
        await rc.resolve_offer(tx, world.recruiter, offer, "declined")
    with pytest.raises(Conflict):
        async with atransaction(app_pool, world.recruiter) as tx:
            await rc.resolve_offer(tx, world.recruiter, offer, "accepted")
    async with atransaction(app_pool, world.recruiter) as tx:
        interview = await rc.schedule_interview(
            tx,
            world.recruiter,
            app,
            stage_id=world.stage_ids[2],
            scheduled_at=datetime.now(UTC) + timedelta(hours=1),
            participant_ids=[world.interviewer.user_id or 0],
        )
    async with atransaction(app_pool, world.interviewer) as tx:
        await rc.submit_scorecard(tx, world.interviewer, interview, recommendation="no", overall_rating=2)
    with pytest.raises(Conflict):
        async with atransaction(app_pool, world.interviewer) as tx:
            await rc.submit_scorecard(tx, world.interviewer, interview, recommendation="yes", overall_rating=4)
    with pytest.raises(Forbidden):  # the admin took no part in the interview
        async with atransaction(app_pool, world.admin) as tx:
            await rc.submit_scorecard(tx, world.admin, interview, recommendation="yes", overall_rating=4)
    async with atransaction(app_pool, world.recruiter) as tx:
        await rc.archive_application(tx, world.recruiter, app, "rejected_by_us")
    with pytest.raises(Conflict):
        async with atransaction(app_pool, world.recruiter) as tx:
            await rc.hire_application(tx, world.recruiter, app)
    assert _types(database.owner_url) == [
        "candidate_created",
        "application_created",
        "offer_extended",
        "offer_resolved",
        "interview_scheduled",
        "scorecard_submitted",
        "application_archived",
    ]
