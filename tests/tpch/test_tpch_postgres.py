"""The TPC-H queries on Postgres: the same tables (copied from DuckDB, the second tenant's rows included), the
compiled SQL against the spec's SQL over the tenant's rows, every written query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import psycopg
import pytest

from pavedroad.query import Compiler
from pavedroad.testing import TestServers
from tests.tpch.data import MODEL, ORG, PREFIX, SCHEMA, generate, load, normalized
from tests.tpch.queries import QUERIES, Query

pytestmark = pytest.mark.integration

SF = 0.01
_INDEXES = ("lineitem (l_orderkey)", "lineitem (l_partkey, l_suppkey)", "orders (o_orderkey)", "orders (o_custkey)",
            "partsupp (ps_partkey, ps_suppkey)", "part (p_partkey)", "supplier (s_suppkey)", "customer (c_custkey)",
            "nation (n_nationkey)", "region (r_regionkey)")  # fmt: skip
_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "VARCHAR": "text", "DATE": "date"}


def _pg_type(duck_type: str) -> str:
    return _TYPES.get(duck_type, duck_type.replace("DECIMAL", "numeric"))


@pytest.fixture(scope="module")
def pg(servers: TestServers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[psycopg.Connection[Any]]:
    """The TPC-H tables in schema ``tpch`` and views of the tenant's rows under the spec's names in ``tpch_ref``."""
    duck = duckdb.connect()
    load(duck, generate(SF, tmp_path_factory.mktemp("tpch")), decoy=True)
    db = servers.new_database("tpch")
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        conn.execute("create schema tpch; create schema tpch_ref")
        for table, pre in PREFIX.items():
            cols = duck.execute(f"describe main.{table}").fetchall()
            conn.execute(f"create table tpch.{table} ({', '.join(f'{c[0]} {_pg_type(c[1])}' for c in cols)})")
            with conn.cursor().copy(f"copy tpch.{table} from stdin") as copy:
                for row in duck.execute(f"select * from main.{table}").fetchall():
                    copy.write_row(row)
            names = [c[0] for c in cols if c[0] not in ("org", f"{pre}_rowid")]
            conn.execute(f"create view tpch_ref.{table} as select {', '.join(names)} from tpch.{table}"
                         f" where org = '{ORG}'")  # fmt: skip
        for index in _INDEXES:  # the keys a TPC-H database declares; the spec's correlated subqueries need them
            conn.execute(f"create index on tpch.{index}")
        for table in PREFIX:
            conn.execute(f"analyze tpch.{table}")
        yield conn
    duck.close()
    servers.drop_database(db)


def _run(conn: psycopg.Connection[Any], schema: str, sql: str, params: dict[str, Any] | None) -> list[Any]:
    conn.execute(f"set search_path = {schema}")
    return conn.execute(sql, params).fetchall()


WRITTEN = [pytest.param(q, id=f"q{q.number:02d}") for q in QUERIES if q.dsl is not None]


@pytest.mark.parametrize("query", WRITTEN)
def test_the_query_answers_as_the_spec_sql_does_on_postgres(pg: psycopg.Connection[Any], query: Query) -> None:
    """Same rows, in the same order, as the spec's SQL on Postgres (its own spelling of each value)."""
    expected = normalized(_run(pg, "tpch_ref", query.reference, None))
    assert expected, f"Q{query.number}: the reference answer is empty at SF {SF}"
    compiled = Compiler().compile(query.dsl or "", model=MODEL, schema=SCHEMA, dialect="postgres")
    assert normalized(_run(pg, "tpch", compiled.sql, compiled.params)) == expected
