"""No personal value reaches the database server's log: the query path parses typed literals before they
are sent, and the server logs neither statements, nor DETAIL lines, nor the errors that quote their input —
while every error still reaches the client with its full text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.privacy.leakcheck import read_server_logs
from pavedroad.query import QueryError, run
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import GUARDRAILS
from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import TestDatabase, TestServers

from .seed import World, seed_tenant

EMAIL = "ada.alpha.0@candidate.example"  # a seeded candidate's email (personal)
STAFF = "admin.alpha@staff.example"  # a seeded user's email (personal), unique per tenant


@pytest.fixture
def postgres_log(servers: TestServers) -> Path:
    logs = [p for p in servers.log_files if p.parent.name == "postgres"]
    if not logs:
        pytest.skip("the session uses an external Postgres server, whose log is not ours to read")
    return logs[0]


@pytest.fixture
def world(database: TestDatabase) -> World:
    return seed_tenant(database.owner_url, "alpha", candidates=2)


@pytest.fixture
def pool(database: TestDatabase) -> Iterator[ConnectionPool]:
    with ConnectionPool(database.app_url, min_size=1, max_size=1) as p:
        yield p


def _logged(log: Path, value: str) -> list[str]:
    return [line for line in read_server_logs([log]) if value in line]


def test_a_text_literal_that_is_no_timestamp_is_refused_before_it_is_sent(
    pool: ConnectionPool, world: World, postgres_log: Path
) -> None:
    principal = Principal("alpha", world.users["admin"], Role.ADMIN)
    for query in (
        f'applications | where applied_at > "{EMAIL}" | select id',
        f'applications | where applied_at in ("2024-01-01", "{EMAIL}") | select id',
        f'candidates | where created_at between "2024-01-01" and "{EMAIL}" | select id',
    ):
        with pytest.raises(QueryError) as refused:
            run(pool, principal, query, model=recruiting_model(), guard=GUARDRAILS)
        assert refused.value.code == "Q108"
        assert EMAIL not in str(refused.value)
    assert _logged(postgres_log, EMAIL) == []


def test_valid_text_literals_still_compare_with_timestamps(pool: ConnectionPool, world: World) -> None:
    principal = Principal("alpha", world.users["admin"], Role.ADMIN)
    query = 'applications | where applied_at > "2000-01-01" and applied_at < "2999-01-01T00:00:00Z" | select id'
    result = run(pool, principal, query, model=recruiting_model(), guard=GUARDRAILS)
    assert sorted(r[0] for r in result.rows) == sorted(world.applications)


def test_database_errors_reach_the_client_but_not_the_server_log(
    pool: ConnectionPool, database: TestDatabase, world: World, postgres_log: Path
) -> None:
    with transaction(pool, Principal("alpha", None, Role.ADMIN)) as conn:
        with pytest.raises(psycopg.errors.InvalidTextRepresentation) as cast, conn.transaction():
            conn.execute("select %s::bigint", (EMAIL,))  # a failed cast quotes its input
        assert EMAIL in str(cast.value)
    with psycopg.connect(database.owner_url) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation) as duplicate:
            conn.execute(
                "insert into users (tenant_id, email, name, role) values ('alpha', %s, 'Grace', 'admin')", (STAFF,)
            )
        assert STAFF in (duplicate.value.diag.message_detail or "")  # Key (tenant_id, email)=(alpha, ...)
    assert _logged(postgres_log, EMAIL) == []
    assert _logged(postgres_log, STAFF) == []
