"""The tenant of a transaction cannot be forged: SQL injected as ``pavedroad_app`` — a ``set_config`` of
``app.tenant_id`` inside or outside a tenant transaction, a replayed signature, a call of
``enter_tenant`` without the connection's session key — never shows another tenant's rows."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.tenancy import ENTER_TENANT_SQL, Principal, Role, set_tenant, transaction
from pavedroad.testing import TestDatabase

ALPHA = Principal("alpha", None, Role.ADMIN)
BETA = Principal("beta", None, Role.ADMIN)
COUNT_BETA = "select count(*) from departments where tenant_id = 'beta'"


@pytest.fixture
def pool(database: TestDatabase) -> Iterator[ConnectionPool]:
    with psycopg.connect(database.owner_url) as conn:
        for tenant in ("alpha", "beta"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant.title()))
            for name in ("Engineering", "Sales"):
                conn.execute("insert into departments (tenant_id, name) values (%s, %s)", (tenant, name))
    with ConnectionPool(database.app_url, min_size=1, max_size=1, open=True) as p:
        yield p


def test_normal_tenant_transactions_see_their_own_rows(pool: ConnectionPool) -> None:
    for principal in (ALPHA, BETA, ALPHA):  # one pooled connection, tenants alternating
        with transaction(pool, principal) as conn:
            rows = conn.execute("select distinct tenant_id, count(*) over () from departments").fetchall()
            assert rows == [(principal.tenant_id, 2)]
            assert conn.execute("select current_setting('app.tenant_id')").fetchone() == (principal.tenant_id,)


def test_forged_setting_outside_a_tenant_transaction_reads_nothing(database: TestDatabase) -> None:
    with psycopg.connect(database.app_url, autocommit=True) as conn:
        conn.execute("select set_config('app.tenant_id', 'beta', false)")
        assert conn.execute(COUNT_BETA).fetchone() == (0,)
        assert conn.execute("select count(*) from departments").fetchone() == (0,)
        with conn.transaction():
            conn.execute("select set_config('app.tenant_id', 'beta', true)")
            assert conn.execute(COUNT_BETA).fetchone() == (0,)
            assert conn.execute("select count(*) from tenants").fetchone() == (0,)


def test_forged_setting_inside_a_tenant_transaction_reads_no_other_tenant(pool: ConnectionPool) -> None:
    with transaction(pool, ALPHA) as conn:
        assert conn.execute("select count(*) from departments").fetchone() == (2,)
        conn.execute("select set_config('app.tenant_id', 'beta', true)")  # what an injected call would do
        assert conn.execute(COUNT_BETA).fetchone() == (0,)
        assert conn.execute("select count(*) from departments").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor can it write as the forged tenant
            conn.execute("insert into departments (tenant_id, name) values ('beta', 'Forged')")


def test_a_signature_from_another_transaction_does_not_replay(pool: ConnectionPool) -> None:
    with transaction(pool, BETA) as conn:
        row = conn.execute("select current_setting('app.tenant_sig')").fetchone()
        assert row is not None
        beta_signature = row[0]
    with transaction(pool, ALPHA) as conn:
        conn.execute(
            "select set_config('app.tenant_id', 'beta', true), set_config('app.tenant_sig', %s, true)",
            (beta_signature,),
        )
        assert conn.execute(COUNT_BETA).fetchone() == (0,)


def test_entering_another_tenant_needs_the_connections_session_key(pool: ConnectionPool) -> None:
    with transaction(pool, ALPHA) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(ENTER_TENANT_SQL, ("a-guessed-key-that-is-long-enough-000000", "beta", "", "admin"))
        assert conn.execute(COUNT_BETA).fetchone() == (0,)
    with pool.connection() as conn:  # outside any tenant transaction, on a connection the pool already used
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(ENTER_TENANT_SQL, ("a-guessed-key-that-is-long-enough-000000", "beta", "", "admin"))
        conn.rollback()
        with conn.transaction():
            set_tenant(conn, BETA)  # the process that holds the key still can
            assert conn.execute(COUNT_BETA).fetchone() == (2,)


def test_the_signing_key_and_signer_are_out_of_the_app_roles_reach(database: TestDatabase) -> None:
    with psycopg.connect(database.app_url, autocommit=True) as conn:
        for statement in (
            "select * from pavedroad_meta.tenant_signing_key",
            "select * from pavedroad_meta.tenant_sessions",
            "select pavedroad_meta.tenant_signature('beta')",
            "delete from pavedroad_meta.tenant_sessions",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_tenant_check_stays_an_index_condition(pool: ConnectionPool, database: TestDatabase) -> None:
    """The policy's tenant is computed once per statement (an InitPlan) and used by the index scan."""
    with transaction(pool, ALPHA) as conn:
        conn.execute("set local enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute("explain (verbose) select * from departments where id = 1"))
    assert "Index Cond: ((departments.tenant_id = (InitPlan 1).col1)" in plan
    assert "pavedroad_meta.current_tenant()" in plan
