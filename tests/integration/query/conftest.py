"""Generated recruiting data in Postgres, the same rows copied into DuckDB through Arrow, and from there,
as Parquet, into an in-process ClickHouse (chdb, the ``clickhouse`` dependency group)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.query import TenantSchema, load_tenant_schema
from pavedroad.query.warehouse_copy import copy_tables
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import TestDatabase, TestServers

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)  # the generator's reference date


@dataclass
class Loaded:
    db: TestDatabase
    pool: ConnectionPool
    duck: Any
    tenants: list[str]
    schemas: dict[str, TenantSchema]
    clickhouse: Any = None  # ClickHouseTables, when chdb is installed


def clickhouse_tables(duck: Any) -> Any:
    """The DuckDB copy's tables, exported as Parquet and loaded into ClickHouse (None without chdb)."""
    try:
        from pavedroad.query.clickhouse import ClickHouseTables

        tables = ClickHouseTables()
    except ImportError:
        return None
    tables.load_from_duckdb(duck, recruiting_model())
    return tables


def need_clickhouse(loaded: Loaded) -> Any:
    """The ClickHouse tables, or a skip that says how to install chdb."""
    if loaded.clickhouse is None:
        pytest.skip("chdb is not installed: `uv sync --group clickhouse` (scripts/bootstrap.py test does)")
    return loaded.clickhouse


def copy_to_duckdb(owner_url: str) -> Any:
    """Every table of the model (all tenants, as the owner) copied into an in-memory DuckDB."""
    with psycopg.connect(owner_url) as conn:
        return copy_tables(conn, recruiting_model())


@pytest.fixture(scope="package")
def loaded(servers: TestServers) -> Iterator[Loaded]:
    db = servers.new_database("q")
    report = seed(db.owner_url, applications=4000, tenants=3, seed=11, progress=False)
    duck = copy_to_duckdb(db.owner_url)
    clickhouse = clickhouse_tables(duck)
    with ConnectionPool(db.app_url, min_size=1, max_size=4, open=True) as pool:
        schemas = {}
        for t in report.tenants:
            with transaction(pool, Principal(t, None, Role.ADMIN)) as conn:
                schemas[t] = load_tenant_schema(conn, t)
        yield Loaded(db, pool, duck, list(report.tenants), schemas, clickhouse)
    duck.close()
    if clickhouse is not None:
        clickhouse.close()
    servers.drop_database(db)
