"""Migrations apply on an empty database, are a no-op the second time, and refuse edited files."""

from __future__ import annotations

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
