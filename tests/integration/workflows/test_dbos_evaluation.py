"""DBOS Transact measured against pavedroad's isolation rules (the evidence behind docs/workflows.md).

Runs only where ``dbos`` is importable (``uv run --frozen --with dbos pytest <this file>``); it is not
a dependency of pavedroad. DBOS runs on our embedded Postgres, but its system tables, which
hold every workflow's inputs and step outputs, carry no tenant and no row-level security, so
``guard check`` fails on them; and its executor reads those tables with no tenant context, so scoping
them with our policy would leave it seeing nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pavedroad.cli.guard import stack_registry
from pavedroad.db import APP_ROLE
from pavedroad.privacy import check_catalog
from pavedroad.privacy.catalog_snapshot import read_catalog
from pavedroad.testing import TestDatabase

dbos = pytest.importorskip("dbos")


@pytest.fixture
def dbos_in_public(database: TestDatabase) -> Iterator[TestDatabase]:
    """DBOS launched on the test database with its system tables where tenant data lives (``public``)."""
    dbos.DBOS.destroy(destroy_registry=True)
    dbos.DBOS(config={"name": "evaluation", "system_database_url": database.owner_url, "dbos_system_schema": "public"})

    @dbos.DBOS.step()
    def remember(value: str) -> str:
        return value.upper()

    @dbos.DBOS.workflow()
    def greet(value: str) -> str:
        return remember(value)

    dbos.DBOS.launch()
    try:
        assert greet("ada@example.com") == "ADA@EXAMPLE.COM"
        yield database
    finally:
        dbos.DBOS.destroy(destroy_registry=True)


def test_dbos_runs_on_the_embedded_postgres_and_stores_inputs_unscoped(dbos_in_public: TestDatabase) -> None:
    """A workflow's input and its step's output (personal values) land in tables with no tenant column."""
    with psycopg.connect(dbos_in_public.owner_url) as conn:
        columns = {
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_name = 'workflow_status'"
            )
        }
        stored = conn.execute("select count(*) from operation_outputs where output is not null").fetchone()
    assert "tenant_id" not in columns
    assert stored == (1,)


def test_dbos_system_tables_fail_guard_check(dbos_in_public: TestDatabase) -> None:
    """``guard check``'s rules report DBOS's tables: no tenant_id (G101), no row-level security (G102)."""
    with psycopg.connect(dbos_in_public.owner_url) as conn:
        catalog = read_catalog(conn, APP_ROLE)
    findings = check_catalog(catalog, stack_registry())
    failing = {f.subject.split(".")[1] for f in findings if f.code in {"G101", "G102"}}
    assert {"workflow_status", "operation_outputs", "notifications", "workflow_events"} <= failing
