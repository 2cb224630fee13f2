"""``pavedroad guard check``: migrate a scratch database, read its catalog, apply the isolation rules.

Guarantee: the check runs against exactly what the migrations produce (a fresh database on the same
server, dropped afterwards even on failure), never against a live database's drift, and returns every
finding of ``isolation_rules.check_catalog``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import sql

from pavedroad.db import APP_ROLE, MigrationSource, migrate, with_database
from pavedroad.privacy.catalog_snapshot import Catalog, read_catalog
from pavedroad.privacy.findings import Finding
from pavedroad.privacy.isolation_rules import DEFAULT_DEFINER_ALLOW_LIST, check_catalog
from pavedroad.privacy.registry import Registry

__all__ = ["run_catalog_check", "scratch_database"]


@contextmanager
def scratch_database(admin_url: str, sources: Sequence[MigrationSource]) -> Iterator[str]:
    """A new database migrated with ``sources``; yields its owner URL and drops it afterwards."""
    name = f"pavedroad_guard_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(admin_url, name)
    try:
        migrate(url, sources)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def read_scratch_catalog(admin_url: str, sources: Sequence[MigrationSource]) -> Catalog:
    """The catalog of a fresh database migrated with ``sources``."""
    with scratch_database(admin_url, sources) as url, psycopg.connect(url) as conn:
        return read_catalog(conn, APP_ROLE)


def run_catalog_check(
    admin_url: str,
    sources: Sequence[MigrationSource],
    registry: Registry,
    *,
    definer_allow_list: Iterable[str] = DEFAULT_DEFINER_ALLOW_LIST,
) -> list[Finding]:
    """Every isolation finding of the schema ``sources`` build (empty list: the schema is safe)."""
    catalog = read_scratch_catalog(admin_url, sources)
    return check_catalog(catalog, registry, definer_allow_list=definer_allow_list)
