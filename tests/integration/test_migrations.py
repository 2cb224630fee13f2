"""Migrations apply on an empty database, are a no-op the second time, and refuse edited files."""

from __future__ import annotations

import psycopg
import pytest

from pavedroad.db import Migration, MigrationSource, migrate
from pavedroad.errors import ConfigurationError
from pavedroad.stack import all_migration_sources, create_database
from pavedroad.testing import TestServers


def test_apply_on_empty_then_no_op(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "migrate_fresh")
    sources = all_migration_sources()
    first = migrate(url, sources)
    assert first == [m.version for s in sources for m in s.migrations]
    assert "recruiting:0001_recruiting.sql" in first
    assert migrate(url, sources) == []


def test_edited_migration_is_refused(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "migrate_edited")
    original = MigrationSource("x", (Migration("x", "0001.sql", "create table pavedroad_meta.t1 (a int);"),))
    migrate(url, [original])
    edited = MigrationSource("x", (Migration("x", "0001.sql", "create table pavedroad_meta.t1 (b int);"),))
    with pytest.raises(ConfigurationError, match="changed after it was applied"):
        migrate(url, [edited])


def test_failed_migration_applies_nothing(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "migrate_broken")
    broken = MigrationSource(
        "y", (Migration("y", "0001.sql", "create table pavedroad_meta.ok (a int); create tabel oops;"),)
    )
    with pytest.raises(ConfigurationError, match=r"y:0001\.sql failed"):
        migrate(url, [broken])
    assert migrate(url, [MigrationSource("y", (Migration("y", "0001.sql", "select 1;"),))]) == ["y:0001.sql"]


def _indexes(url: str, table: str) -> dict[str, bool]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select c.relname, i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid"
            " where i.indrelid = %s::regclass",
            (table,),
        ).fetchall()
    return dict(rows)


def test_concurrent_index_file_applies_outside_a_transaction(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "migrate_concurrent")
    table = MigrationSource("c", (Migration("c", "0001.sql", "create table pavedroad_meta.c (a int, b int);"),))
    migrate(url, [table])
    build = Migration(
        "c",
        "0002.sql",
        "-- built while writes go on\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS c_a ON pavedroad_meta.c (a) INCLUDE (b);\n"
        "DROP INDEX CONCURRENTLY IF EXISTS pavedroad_meta.c_missing;\n",
    )
    assert build.concurrent
    source = MigrationSource("c", (*table.migrations, build))
    assert migrate(url, [source]) == ["c:0002.sql"]  # in a transaction, Postgres would refuse CONCURRENTLY
    assert _indexes(url, "pavedroad_meta.c") == {"c_a": True}
    assert migrate(url, [source]) == []


def test_concurrent_file_must_hold_only_idempotent_index_statements(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "migrate_concurrent_mixed")
    mixed = Migration(
        "m",
        "0001.sql",
        "create table pavedroad_meta.m (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS m_a ON pavedroad_meta.m (a);",
    )
    with pytest.raises(ConfigurationError, match=r"m:0001\.sql line 1: a file that uses CONCURRENTLY"):
        migrate(url, [MigrationSource("m", (mixed,))])
    bare = Migration("m", "0001.sql", "CREATE INDEX CONCURRENTLY m_a ON pavedroad_meta.m (a);")
    with pytest.raises(ConfigurationError, match="idempotent"):
        migrate(url, [MigrationSource("m", (bare,))])
    with psycopg.connect(url) as conn:
        assert conn.execute("select to_regclass('pavedroad_meta.m')").fetchone() == (None,)  # nothing ran


def test_an_index_left_invalid_by_a_failed_build_is_rebuilt(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "migrate_concurrent_invalid")
    table = Migration(
        "u", "0001.sql", "create table pavedroad_meta.u (a int); insert into pavedroad_meta.u values (1), (1);"
    )
    unique = Migration("u", "0002.sql", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u_a ON pavedroad_meta.u (a);")
    with pytest.raises(ConfigurationError, match=r"u:0002\.sql line 1 failed: could not create unique index"):
        migrate(url, [MigrationSource("u", (table, unique))])
    assert _indexes(url, "pavedroad_meta.u") == {}  # the runner dropped the invalid leftover
    with psycopg.connect(url, autocommit=True) as conn:  # an interrupted build elsewhere leaves u_a invalid
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY u_a ON pavedroad_meta.u (a)")
        conn.execute("delete from pavedroad_meta.u where ctid = (select min(ctid) from pavedroad_meta.u)")
    assert _indexes(url, "pavedroad_meta.u") == {"u_a": False}  # IF NOT EXISTS alone would keep this one
    assert migrate(url, [MigrationSource("u", (table, unique))]) == ["u:0002.sql"]
    assert _indexes(url, "pavedroad_meta.u") == {"u_a": True}
