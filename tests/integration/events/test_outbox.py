"""The outbox: events commit with their change, or not at all; RLS keeps tenants apart."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.errors import Forbidden
from pavedroad.events import Event, aappend, append_statements
from pavedroad.recruiting.commands import NewApplication, NewCandidate, create_application, move_stage
from pavedroad.tenancy import Principal, Role, atransaction, drive, transaction
from pavedroad.testing import TestDatabase
from tests.integration.events.conftest import World, seed_world


def _outbox(owner_url: str) -> list[tuple[str, str, str, int]]:
    with psycopg.connect(owner_url) as conn:
        return [
            (r[0], r[1], r[2], int(r[3]))
            for r in conn.execute(
                "select tenant_id, event_type, aggregate_id, seq from event_outbox order by seq"
            ).fetchall()
        ]


def _candidate(i: int = 0) -> NewCandidate:
    return NewCandidate(first_name="Ada", last_name=f"L{i}", email=f"ada{i}@example.com")


async def test_domain_write_appends_events_in_its_transaction(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool
) -> None:
    """Creating an application writes the candidate and application events in the same transaction."""
    async with atransaction(app_pool, world.recruiter) as tx:
        created = await create_application(
            tx, world.recruiter, NewApplication(job_id=world.job_id, candidate=_candidate())
        )
        await move_stage(tx, world.recruiter, created.application_id, world.stage_ids[1])
    rows = _outbox(database.owner_url)
    assert [r[1] for r in rows] == ["candidate_created", "application_created", "stage_moved"]
    assert {r[0] for r in rows} == {world.tenant}
    assert rows[1][2] == rows[2][2] == str(created.application_id)


async def test_rolled_back_transaction_emits_nothing(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool
) -> None:
    """A transaction that rolls back leaves no event behind."""

    async def write_then_fail() -> None:
        async with atransaction(app_pool, world.recruiter) as tx:
            await create_application(tx, world.recruiter, NewApplication(job_id=world.job_id, candidate=_candidate()))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert _outbox(database.owner_url) == []


async def test_event_for_another_tenant_is_refused(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool
) -> None:
    """Row-level security refuses an event whose tenant is not the transaction's tenant."""
    seed_world(database.owner_url, "globex")
    event = Event(type="x_happened", tenant_id="globex", aggregate_type="thing", aggregate_id="1")
    with pytest.raises(Forbidden):
        async with atransaction(app_pool, world.recruiter) as tx:
            await aappend(tx, event)


def test_sync_driver_runs_the_same_statements_in_a_sync_transaction(database: TestDatabase, world: World) -> None:
    """Sync code drives the outbox's one statement generator with ``db.drive``: several events in order, and
    another tenant's event refused as ``Forbidden`` (the database error is thrown back into the generator)."""
    seed_world(database.owner_url, "globex")
    mine = [
        Event(type=t, tenant_id=world.tenant, aggregate_type="thing", aggregate_id="7") for t in ("a_made", "b_made")
    ]
    theirs = Event(type="x_happened", tenant_id="globex", aggregate_type="thing", aggregate_id="1")
    with ConnectionPool(database.app_url, min_size=1, max_size=1) as pool:
        with transaction(pool, world.recruiter) as tx:
            drive(tx, append_statements(mine))
        with pytest.raises(Forbidden), transaction(pool, world.recruiter) as tx:
            drive(tx, append_statements([theirs]))
    assert [(r[0], r[1], r[2]) for r in _outbox(database.owner_url)] == [
        (world.tenant, "a_made", "7"),
        (world.tenant, "b_made", "7"),
    ]


async def test_app_role_reads_only_its_tenant_and_cannot_mark_delivered(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool
) -> None:
    """pavedroad_app sees its own tenant's events and may not update or delete outbox rows."""
    seed_world(database.owner_url, "globex")
    for principal in (world.recruiter, Principal("globex", None, Role.ADMIN)):
        async with atransaction(app_pool, principal) as tx:
            await aappend(
                tx, Event(type="x_happened", tenant_id=principal.tenant_id, aggregate_type="t", aggregate_id="1")
            )
    async with atransaction(app_pool, world.recruiter) as tx:
        rows = await (await tx.execute("select tenant_id from event_outbox")).fetchall()
        assert rows == [(world.tenant,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with atransaction(app_pool, world.recruiter) as tx:
            await tx.execute("update event_outbox set delivered_at = now()")


def test_relay_role_reads_across_tenants_without_bypassrls(database: TestDatabase, world: World) -> None:
    """pavedroad_relay is NOBYPASSRLS, and pavedroad_app never has BYPASSRLS either."""
    with psycopg.connect(database.owner_url) as conn:
        flags: dict[str, bool] = dict(
            conn.execute(
                "select rolname, rolbypassrls from pg_roles where rolname in ('pavedroad_app', 'pavedroad_relay')"
            ).fetchall()
        )
    assert flags == {"pavedroad_app": False, "pavedroad_relay": False}
