"""Generated recruiting data in Postgres, and the same rows copied into DuckDB through Arrow."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.query import TenantSchema, load_tenant_schema
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


def copy_to_duckdb(owner_url: str) -> Any:
    """Every table of the model, copied row for row (JSONB as JSON) into an in-memory DuckDB."""
    con = duckdb.connect()
    with psycopg.connect(owner_url) as conn:
        for ent in recruiting_model().entities.values():
            cur = conn.execute(f"select * from {ent.table}")
            names = [d.name for d in cur.description or []]
            rows = cur.fetchall()
            cols: dict[str, list[Any]] = {n: [] for n in names}
            for r in rows:
                for n, v in zip(names, r, strict=True):
                    cols[n].append(json.dumps(v) if isinstance(v, dict | list) else v)
            types = {d.name: d.type_code for d in cur.description or []}
            arrays = {}
            for n in names:
                if not cols[n] and types[n] in (3802, 114):
                    arrays[n] = pa.array([], pa.string())
                else:
                    arrays[n] = pa.array(cols[n]) if cols[n] else pa.array([], pa.string())
            con.register("arrow_rows", pa.table(arrays))
            json_cols = [n for n in names if types[n] in (3802, 114)]
            select = ", ".join(f"{n}::JSON AS {n}" if n in json_cols else n for n in names)
            con.execute(f"create table {ent.table} as select {select} from arrow_rows")
            con.unregister("arrow_rows")
    return con


@pytest.fixture(scope="package")
def loaded(servers: TestServers) -> Iterator[Loaded]:
    db = servers.new_database("q")
    report = seed(db.owner_url, applications=4000, tenants=3, seed=11, progress=False)
    duck = copy_to_duckdb(db.owner_url)
    with ConnectionPool(db.app_url, min_size=1, max_size=4, open=True) as pool:
        schemas = {}
        for t in report.tenants:
            with transaction(pool, Principal(t, None, Role.ADMIN)) as conn:
                schemas[t] = load_tenant_schema(conn, t)
        yield Loaded(db, pool, duck, list(report.tenants), schemas)
    duck.close()
    servers.drop_database(db)
