"""Tenant isolation, proven twice: random tenant pairs and random queries never see each other's rows —
once with row-level security alone (the compiled tenant predicate deliberately pointed at the *other*
tenant, as if the scope pass were off or wrong), once with the compiler alone (run as the superuser,
which bypasses row-level security). Canary values carry each tenant's unique marker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pavedroad.db import app_url_from_owner
from pavedroad.query import TenantSchema, default_compiler
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role, set_tenant
from pavedroad.testing import TestDatabase, TestServers
from tests.integration.privacy.seed import seed_tenant

TENANTS = ("alpha", "beta", "gamma", "delta")
HOSTILE = st.sampled_from(["' or 1=1 --", "alpha", "%(tenant)s", "Ada", "') or ('a'='a", "beta' --"])
QUERIES = (
    "candidates | select id, first_name, last_name, email",
    "applications | select id, candidate.first_name, job.title",
    "applications | group job.title | aggregate n = count()",
    "jobs | select id, title | sort title",
    "interviews | select id, application.candidate.email",
    "scorecards | select id, notes",
    "offers | select id, salary, application.job.title",
    'applications | group candidate.last_name | aggregate n = count(), e = count(offers, status = "extended")',
    "users | select id, email, name",
    'candidates | where first_name != "{h}" or city = "{h}" | select id, first_name',
    'jobs | where title = "{h}" or confidential = true or confidential = false | select id, title',
)


@pytest.fixture(scope="module")
def db(servers: TestServers) -> Iterator[TestDatabase]:
    database = servers.new_database("iso")
    for tenant in TENANTS:
        seed_tenant(database.owner_url, tenant, candidates=3)
    yield database
    servers.drop_database(database)


def _markers(tenant: str) -> tuple[str, ...]:
    return (tenant.title(), f".{tenant}.", f"{tenant} ")


def _leaks(rows: list[tuple[Any, ...]], tenant: str) -> list[str]:
    """Values in ``rows`` that carry another tenant's marker."""
    others = [m for t in TENANTS if t != tenant for m in _markers(t)]
    return [str(v) for row in rows for v in row if isinstance(v, str) and any(m in v for m in others)]


def _compile(query: str, tenant: str) -> tuple[str, dict[str, Any]]:
    compiled = default_compiler.compile(query, model=recruiting_model(), schema=TenantSchema(tenant), role="admin")
    return compiled.sql, dict(compiled.params)


pairs = st.permutations(TENANTS).map(lambda p: (p[0], p[1]))
queries = st.tuples(st.sampled_from(QUERIES), HOSTILE).map(lambda t: t[0].replace("{h}", t[1]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=pairs, query=queries)
def test_rls_alone_refuses_the_other_tenants_rows(db: TestDatabase, pair: tuple[str, str], query: str) -> None:
    """The compiled predicate asks for tenant b while the transaction is tenant a: RLS returns nothing."""
    a, b = pair
    sql, params = _compile(query, b)
    with psycopg.connect(app_url_from_owner(db.owner_url)) as conn, conn.transaction():
        set_tenant(conn, Principal(a, None, Role.ADMIN))
        rows = conn.execute(sql, params).fetchall()
    assert [r for r in rows if any(v not in (None, 0) for v in r)] == [] or _leaks(rows, a) == []
    assert _leaks(rows, a) == []
    assert (
        all(v in (None, 0) for r in rows for v in r if not isinstance(v, str)) or "count" in query or "group" in query
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=pairs, query=queries)
def test_compiler_alone_scopes_every_scan(db: TestDatabase, pair: tuple[str, str], query: str) -> None:
    """As the superuser (RLS bypassed) the compiled query still returns only tenant a's rows."""
    a, _ = pair
    sql, params = _compile(query, a)
    with psycopg.connect(db.owner_url) as conn:
        rows = conn.execute(sql, params).fetchall()
    assert _leaks(rows, a) == []


@pytest.mark.parametrize("tenant", TENANTS)
def test_rls_alone_over_every_table_with_raw_sql(db: TestDatabase, tenant: str) -> None:
    """Without any WHERE clause, every tenant table shows the application role only its tenant's rows."""
    with psycopg.connect(db.owner_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'"
                " where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1"
            )
        ]
    assert "candidates" in tables
    with psycopg.connect(app_url_from_owner(db.owner_url)) as conn, conn.transaction():
        set_tenant(conn, Principal(tenant, None, Role.ADMIN))
        for table in tables:
            seen = conn.execute(
                psycopg.sql.SQL("select distinct tenant_id from {}").format(psycopg.sql.Identifier(table))
            )
            assert {r[0] for r in seen} <= {tenant}, table
        mine = conn.execute("select count(*) from candidates").fetchone()
    assert mine == (3,)
