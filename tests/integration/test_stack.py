"""The composition root: read commands apply no migration and refuse a database that is behind, with the
command that fixes it; migrations are found without importing the blocks, with the checksums they had."""

from __future__ import annotations

import psycopg
import pytest

from pavedroad.db import migrate, source_from_package
from pavedroad.errors import Unavailable
from pavedroad.settings import load_settings
from pavedroad.stack import MIGRATION_PACKAGES, all_migration_sources, create_database, pending_versions, start_stack
from pavedroad.testing import TestServers


def _has_migrations_table(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("select to_regclass('pavedroad_meta.schema_migrations')").fetchone()
    return row is not None and row[0] is not None


def test_a_read_command_refuses_an_unmigrated_database_and_changes_nothing(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "stack_unmigrated")
    with pytest.raises(Unavailable, match="not migrated") as caught:
        start_stack(load_settings(database_url=url), with_nats=False, read_only=True)
    assert "pavedroad migrate" in (caught.value.hint or "")
    assert not _has_migrations_table(url)


def test_a_read_command_on_a_current_database_applies_nothing(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "stack_current")
    migrate(url, all_migration_sources())
    stack = start_stack(load_settings(database_url=url), with_nats=False, read_only=True)
    assert stack.applied == []
    assert stack.nats is None
    assert pending_versions(url) == []


def test_pending_versions_names_what_is_missing(servers: TestServers) -> None:
    url = create_database(servers.admin_url, "stack_behind")
    migrate(url, all_migration_sources())
    with psycopg.connect(url) as conn:
        conn.execute("delete from pavedroad_meta.schema_migrations where version = 'recruiting:0001_recruiting.sql'")
    assert pending_versions(url) == ["recruiting:0001_recruiting.sql"]
    with pytest.raises(Unavailable, match=r"1 migration\(s\) pending, first recruiting:0001_recruiting\.sql"):
        start_stack(load_settings(database_url=url), with_nats=False, read_only=True)


def test_sources_read_from_disk_match_the_packages() -> None:
    """Databases migrated before keep matching checksums: the files are the same as the packages'."""
    by_package = {name: source_from_package(name, package) for name, package in MIGRATION_PACKAGES}
    for source in all_migration_sources():
        assert source == by_package[source.name]
    assert len(all_migration_sources()) == len(MIGRATION_PACKAGES)
