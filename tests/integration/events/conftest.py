"""Fixtures for the event pipeline: a unique stream per test, a small recruiting world, pools."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import EventsConfig
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase


@dataclass(frozen=True)
class World:
    """Ids of a seeded tenant: one open job with four stages, a source, three users."""

    tenant: str
    job_id: int
    stage_ids: tuple[int, ...]
    source_id: int
    recruiter: Principal
    interviewer: Principal
    admin: Principal


def seed_world(owner_url: str, tenant: str = "acme") -> World:
    with psycopg.connect(owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant.title()))
        users = {}
        for role in ("recruiter", "interviewer", "admin"):
            row = conn.execute(
                "insert into users (tenant_id, email, name, role) values (%s, %s, %s, %s) returning id",
                (tenant, f"{role}@{tenant}.example", role.title(), role),
            ).fetchone()
            assert row is not None
            users[role] = int(row[0])
        dep = conn.execute(
            "insert into departments (tenant_id, name) values (%s, 'Engineering') returning id", (tenant,)
        ).fetchone()
        loc = conn.execute(
            "insert into locations (tenant_id, name, country) values (%s, 'Berlin', 'DE') returning id", (tenant,)
        ).fetchone()
        src = conn.execute(
            "insert into sources (tenant_id, name, kind) values (%s, 'Referral', 'referral') returning id", (tenant,)
        ).fetchone()
        assert dep is not None
        assert loc is not None
        assert src is not None
        job = conn.execute(
            "insert into jobs (tenant_id, title, department_id, location_id) values (%s, 'Engineer', %s, %s)"
            " returning id",
            (tenant, dep[0], loc[0]),
        ).fetchone()
        assert job is not None
        stages = []
        for pos, (name, kind) in enumerate(
            [("Review", "application_review"), ("Screen", "phone_screen"), ("Onsite", "onsite"), ("Hired", "hired")]
        ):
            row = conn.execute(
                "insert into job_stages (tenant_id, job_id, position, name, stage_type) values (%s, %s, %s, %s, %s)"
                " returning id",
                (tenant, job[0], pos, name, kind),
            ).fetchone()
            assert row is not None
            stages.append(int(row[0]))
    return World(
        tenant,
        int(job[0]),
        tuple(stages),
        int(src[0]),
        Principal(tenant, users["recruiter"], Role.RECRUITER),
        Principal(tenant, users["interviewer"], Role.INTERVIEWER),
        Principal(tenant, users["admin"], Role.ADMIN),
    )


@pytest.fixture
def events_config() -> EventsConfig:
    """A stream and subject prefix of this test's own, so tests share one NATS server safely."""
    tag = uuid.uuid4().hex[:10]
    return EventsConfig(
        subject_prefix=f"t{tag}",
        stream=f"T{tag}",
        relay_poll_s=0.05,
        dedup_window_s=60,
        max_deliver=3,
        backoff_s=(0.05, 0.1),
        ack_wait_s=2,
        sink_max_wait_s=0.05,
    )


@pytest.fixture
def world(database: TestDatabase) -> World:
    return seed_world(database.owner_url)


@pytest.fixture
async def app_pool(database: TestDatabase) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(database.app_url, min_size=1, max_size=8, open=False)
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()
