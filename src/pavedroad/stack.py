"""The composition root: bring up the servers a pavedroad process needs and migrate the database.

With no URL configured, Postgres and NATS start embedded under the data directory; with a URL, the
external server is used as is. ``service/`` and ``cli/`` call this; blocks never do.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from pavedroad.db import (
    EmbeddedPostgres,
    MigrationSource,
    app_url_from_owner,
    migrate,
    source_from_package,
    with_database,
)
from pavedroad.errors import Unavailable
from pavedroad.events.nats_server import EmbeddedNats
from pavedroad.settings import Settings

__all__ = ["MIGRATION_PACKAGES", "Stack", "all_migration_sources", "create_database", "start_stack"]

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
    ("service", "pavedroad.service"),
    ("recruiting", "pavedroad.recruiting"),
)


def all_migration_sources() -> list[MigrationSource]:
    """Every block's migrations, in ``MIGRATION_PACKAGES`` order (blocks without any are skipped)."""
    sources = []
    for name, package in MIGRATION_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        folder = next(iter(spec.submodule_search_locations))
        if os.path.isdir(os.path.join(folder, "migrations")):
            sources.append(source_from_package(name, package))
    return sources


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


def start_stack(settings: Settings, *, with_nats: bool = True, run_migrations: bool = True) -> Stack:
    """Start or connect to Postgres (and NATS), create the database, migrate; return the URLs."""
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
    if run_migrations:
        stack.applied = migrate(owner_url, all_migration_sources(), app_password=settings.app_db_password)
    if with_nats and settings.nats_url is None:
        stack.nats = EmbeddedNats(settings.data_dir)
        stack.nats_url = stack.nats.start()
    return stack
