"""The protected path's own cost in round trips, and its audit event committed before any result.

Round trips are counted from libpq's protocol trace (each burst of client messages after the server's
answer is one), not timed: the guard's settings, grants and audit event must travel with statements the
raw compile+execute sends anyway, so a principal's query waits on the database no more often than an
owner's unrestricted one. Pipelining must not loosen durability: an audit event that fails to commit
(here at COMMIT, through a deferred constraint trigger) means no result.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import pq
from psycopg_pool import AsyncConnectionPool

from pavedroad.privacy import FieldAccessPolicy
from pavedroad.query import RunOptions, arun, arun_unrestricted
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import ACCESS, GUARDRAILS
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant

QUERY = "applications | group status | aggregate n = count()"


@pytest.fixture
def world(database: TestDatabase) -> World:
    return seed_tenant(database.owner_url, "alpha", candidates=6)


@pytest.fixture
async def pool(database: TestDatabase) -> AsyncIterator[AsyncConnectionPool]:
    async with AsyncConnectionPool(database.app_url, min_size=1, max_size=1, open=False) as p:
        yield p


def _directions(trace: str) -> list[str]:
    """The sender of each traced message: F (client) or B (server)."""
    return [line.split("\t", 1)[0] for line in Path(trace).read_text().splitlines() if line]


async def _round_trips(pool: AsyncConnectionPool, call: Callable[[], Awaitable[Any]]) -> int:
    """Round trips ``call`` makes on the pool's one connection: bursts of client messages in the trace."""
    await call()  # warm: the tenant's schema cached, as on every call after the first
    fd, path = tempfile.mkstemp()
    try:
        async with pool.connection() as conn:
            conn.pgconn.trace(fd)
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        await call()
        async with pool.connection() as conn:
            conn.pgconn.untrace()
        directions = _directions(path)
    finally:
        os.close(fd)
        os.unlink(path)
    return sum(1 for before, now in zip(["B", *directions], directions, strict=False) if before == "B" and now == "F")


@pytest.mark.parametrize("role", ["admin", "recruiter"])
async def test_protected_path_waits_no_more_often_than_the_raw_one(
    pool: AsyncConnectionPool, world: World, role: str
) -> None:
    principal = Principal(world.tenant, world.users[role], Role(role))
    model = recruiting_model()

    def protected() -> Awaitable[Any]:
        return arun(pool, principal, QUERY, model=model, guard=GUARDRAILS)

    def raw() -> Awaitable[Any]:
        return arun_unrestricted(
            pool, principal, QUERY, model=model, options=RunOptions(policy=FieldAccessPolicy(ACCESS))
        )

    assert await _round_trips(pool, protected) <= await _round_trips(pool, raw)


async def test_no_result_when_the_audit_event_fails_at_commit(
    pool: AsyncConnectionPool, world: World, database: TestDatabase
) -> None:
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        conn.execute(
            "create function refuse_at_commit() returns trigger language plpgsql as"
            " $$ begin raise exception 'audit refused at commit'; end $$"
        )
        conn.execute(
            "create constraint trigger refuse_at_commit after insert on audit_events"
            " deferrable initially deferred for each row execute function refuse_at_commit()"
        )
    principal = Principal(world.tenant, world.users["admin"], Role.ADMIN)
    with pytest.raises(psycopg.Error, match="audit refused at commit"):
        await arun(pool, principal, QUERY, model=recruiting_model(), guard=GUARDRAILS)
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from audit_events").fetchone() == (0,)
