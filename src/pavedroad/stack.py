"""The composition root: bring up the servers a pavedroad process needs and migrate the database.

With no URL configured, Postgres and NATS start embedded under the data directory; with a URL, the
external server is used as is. ``service/`` and ``cli/`` call this; blocks never do.

Importing this module imports no block: migration files are found from the import system's spec of each
block package (its folder on disk) without running the package, so a CLI command pays only for what it
uses (NATS and the event machinery load only when a command asks for NATS).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from pavedroad.db import (
    EmbeddedPostgres,
    MigrationSource,
    app_url_from_owner,
    migrate,
    source_from_dir,
    with_database,
)
from pavedroad.errors import Unavailable

if TYPE_CHECKING:
    from pavedroad.events.nats_server import EmbeddedNats
    from pavedroad.settings import Settings

__all__ = [
    "MIGRATION_PACKAGES",
    "Stack",
    "all_migration_sources",
    "create_database",
    "pending_versions",
    "start_stack",
]

DATABASE_NAME = "pavedroad"

# Order matters: the platform helpers first, tenancy before anything that is tenant data, the
# reference domain last because it is a client of the blocks.
MIGRATION_PACKAGES: tuple[tuple[str, str], ...] = (
    ("platform", "pavedroad.db"),
    ("tenancy", "pavedroad.tenancy"),
    ("events", "pavedroad.events"),
    ("privacy", "pavedroad.privacy"),
    ("flags", "pavedroad.flags"),
    ("slo", "pavedroad.slo"),
    ("canary", "pavedroad.canary"),
    ("query", "pavedroad.query"),
    ("workflows", "pavedroad.workflows"),
    ("service", "pavedroad.service"),
    ("recruiting", "pavedroad.recruiting"),
)


def _migration_folders() -> list[tuple[str, Path]]:
    """(source name, ``migrations/`` folder) per block that has one, located without importing the block."""
    folders = []
    for name, package in MIGRATION_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        folder = Path(next(iter(spec.submodule_search_locations))) / "migrations"
        if folder.is_dir():
            folders.append((name, folder))
    return folders


def all_migration_sources() -> list[MigrationSource]:
    """Every block's migrations, in ``MIGRATION_PACKAGES`` order (blocks without any are skipped)."""
    return [source_from_dir(name, folder) for name, folder in _migration_folders()]


def pending_versions(owner_url: str) -> list[str]:
    """Versions (``source:file``) not yet applied to the database: one query, no file read, no lock."""
    known = [f"{name}:{f.name}" for name, folder in _migration_folders() for f in sorted(folder.glob("*.sql"))]
    with psycopg.connect(owner_url, connect_timeout=5) as conn:
        exists = conn.execute("select to_regclass('pavedroad_meta.schema_migrations')").fetchone()
        if exists is None or exists[0] is None:
            return known
        applied = {r[0] for r in conn.execute("select version from pavedroad_meta.schema_migrations")}
    return [v for v in known if v not in applied]


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` if missing; return its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(admin_url, name)


@dataclass
class Stack:
    """URLs of the running servers, and the embedded ones this process started (to stop them)."""

    settings: Settings
    owner_url: str
    app_url: str
    nats_url: str | None
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    applied: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the embedded servers this process started; external ones are left alone."""
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()


def start_stack(
    settings: Settings, *, with_nats: bool = True, run_migrations: bool = True, read_only: bool = False
) -> Stack:
    """Start or connect to Postgres (and NATS), create the database, migrate; return the URLs.

    ``read_only`` is for commands that only read (``pavedroad query run``): nothing is applied, and a
    database behind this pavedroad's migrations is refused with the command that brings it up to date,
    rather than failing later on a missing table.
    """
    postgres = None
    if settings.database_url is None:
        postgres = EmbeddedPostgres(settings.data_dir)
        owner_url = create_database(postgres.start(), DATABASE_NAME)
    else:
        owner_url = settings.database_url
        try:
            with psycopg.connect(owner_url, connect_timeout=5) as conn:
                conn.execute("select 1")
        except psycopg.OperationalError as exc:
            raise Unavailable(
                f"the database at PAVEDROAD_DATABASE_URL refused the connection: {str(exc).strip()}",
                hint="check host, port, user and password, or unset PAVEDROAD_DATABASE_URL to use the embedded server",
            ) from None
    app_url = settings.app_database_url or app_url_from_owner(owner_url, settings.app_db_password)
    stack = Stack(settings, owner_url, app_url, settings.nats_url, postgres=postgres)
    if read_only:
        missing = pending_versions(owner_url)
        if missing:
            stack.stop()
            raise Unavailable(
                f"the database is not migrated to this version of pavedroad ({len(missing)} migration(s) pending,"
                f" first {missing[0]})",
                hint="run `pavedroad migrate` (`pavedroad demo` and `pavedroad serve` migrate too)",
            )
    elif run_migrations:
        stack.applied = migrate(owner_url, all_migration_sources(), app_password=settings.app_db_password)
    if with_nats and settings.nats_url is None:
        from pavedroad.events.nats_server import EmbeddedNats

        stack.nats = EmbeddedNats(settings.data_dir)
        stack.nats_url = stack.nats.start()
    return stack
