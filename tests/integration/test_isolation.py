"""Row-level security: the second wall. The application role sees only the current tenant's rows."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import TestDatabase


def _two_tenants(owner_url: str) -> None:
    with psycopg.connect(owner_url) as conn:
        for tenant in ("alpha", "beta"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant.title()))
            conn.execute(
                "insert into departments (tenant_id, id, name) values (%s, %s, 'Engineering')",
                (tenant, 1 if tenant == "alpha" else 2),
            )


@pytest.fixture
def pool(database: TestDatabase) -> Iterator[ConnectionPool]:
    _two_tenants(database.owner_url)
    with ConnectionPool(database.app_url, min_size=1, max_size=1, open=True) as p:
        yield p


def test_app_role_sees_only_its_tenant(pool: ConnectionPool) -> None:
    """A tenant never sees another tenant's rows, even without a WHERE clause."""
    with transaction(pool, Principal("alpha", None, Role.ADMIN)) as conn:
        rows = conn.execute("select tenant_id from departments").fetchall()
    assert rows == [("alpha",)]


def test_no_tenant_set_means_zero_rows(database: TestDatabase, pool: ConnectionPool) -> None:
    """Outside tenancy.transaction the application role reads nothing, and no error is raised."""
    with psycopg.connect(database.app_url) as conn:
        assert conn.execute("select count(*) from departments").fetchone() == (0,)
        assert conn.execute("select count(*) from tenants").fetchone() == (0,)


def test_setting_does_not_leak_across_pooled_connections(pool: ConnectionPool) -> None:
    """The pool has one connection: after alpha's transaction, a bare borrow sees nothing."""
    with transaction(pool, Principal("alpha", None, Role.ADMIN)) as conn:
        assert conn.execute("select count(*) from departments").fetchone() == (1,)
    with pool.connection() as conn:
        assert conn.execute("select current_setting('app.tenant_id', true)").fetchone() in {("",), (None,)}
        assert conn.execute("select count(*) from departments").fetchone() == (0,)


def test_force_applies_to_the_table_owner(database: TestDatabase) -> None:
    """FORCE row-level security: a non-superuser owner is filtered too."""
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        relforce = conn.execute(
            "select bool_and(relrowsecurity and relforcerowsecurity) from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'"
        ).fetchone()
    assert relforce == (True,)


def test_cannot_write_into_another_tenant(pool: ConnectionPool) -> None:
    """WITH CHECK refuses an insert that names another tenant."""
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        transaction(pool, Principal("alpha", None, Role.ADMIN)) as conn,
    ):
        conn.execute("insert into departments (tenant_id, name) values ('beta', 'Sales')")


def test_foreign_key_cannot_point_at_another_tenants_row(database: TestDatabase) -> None:
    """Composite keys lead with tenant_id, so alpha's job cannot reference beta's department."""
    _two_tenants(database.owner_url)
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("insert into locations (tenant_id, id, name, country) values ('alpha', 1, 'Berlin', 'DE')")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute(
                "insert into jobs (tenant_id, title, department_id, location_id) values ('alpha', 'Engineer', 2, 1)"
            )


def test_uniqueness_is_per_tenant(database: TestDatabase) -> None:
    """Two tenants may both have a department named Engineering; one tenant may not have two."""
    _two_tenants(database.owner_url)
    with psycopg.connect(database.owner_url) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("insert into departments (tenant_id, name) values ('alpha', 'Engineering')")


def test_app_role_owns_nothing_and_cannot_bypass(database: TestDatabase) -> None:
    with psycopg.connect(database.owner_url) as conn:
        role = conn.execute(
            "select rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = 'pavedroad_app'"
        ).fetchone()
        owned = conn.execute(
            "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = 'pavedroad_app'"
        ).fetchone()
    assert role == (False, False, False)
    assert owned == (0,)
