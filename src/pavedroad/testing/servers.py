"""Real servers for tests: one embedded Postgres and NATS per test session, a fresh database per test.

A migrated template database is built once; each test gets ``CREATE DATABASE ... TEMPLATE`` (tens of
milliseconds), so tests are isolated without re-running migrations. Set ``PAVEDROAD_TEST_DATABASE_URL``
(a superuser URL) or ``PAVEDROAD_TEST_NATS_URL`` to use external servers instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from pavedroad.db import EmbeddedPostgres, app_url_from_owner, migrate, with_database
from pavedroad.events.nats_server import EmbeddedNats

__all__ = ["TestDatabase", "TestServers", "start_test_servers"]

_TEMPLATE = "pavedroad_template"
_counter = itertools.count()


@dataclass(frozen=True)
class TestDatabase:
    """A throwaway, migrated database: ``owner_url`` (superuser) and ``app_url`` (pavedroad_app)."""

    __test__ = False  # not a pytest test class

    name: str
    owner_url: str
    app_url: str


class TestServers:
    """The session's servers and a factory of fresh migrated databases."""

    __test__ = False  # not a pytest test class

    def __init__(self, admin_url: str, nats_url: str | None, cleanup: list[object]) -> None:
        self.admin_url = admin_url
        self.nats_url = nats_url
        self._cleanup = cleanup
        self._template_ready = False

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        from pavedroad.stack import all_migration_sources

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_TEMPLATE)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_TEMPLATE)))
        migrate(with_database(self.admin_url, _TEMPLATE), all_migration_sources())
        self._template_ready = True

    def new_database(self, prefix: str = "t") -> TestDatabase:
        """A fresh copy of the migrated template."""
        self._ensure_template()
        name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(_TEMPLATE))
            )
        owner = with_database(self.admin_url, name)
        return TestDatabase(name, owner, app_url_from_owner(owner))

    @property
    def log_files(self) -> list[Path]:
        """The log files of the servers this session started (external servers' logs are not ours)."""
        return [item.log_path for item in self._cleanup if isinstance(item, EmbeddedPostgres | EmbeddedNats)]

    def drop_database(self, db: TestDatabase) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))

    def stop(self) -> None:
        for item in reversed(self._cleanup):
            stop = getattr(item, "stop", None)
            if stop:
                stop()
            elif isinstance(item, Path):
                shutil.rmtree(item, ignore_errors=True)


@contextmanager
def start_test_servers(*, with_nats: bool = True) -> Iterator[TestServers]:
    """Start (or point at) the servers for one test session; stop and delete them afterwards."""
    cleanup: list[object] = []
    admin_url = os.environ.get("PAVEDROAD_TEST_DATABASE_URL")
    nats_url = os.environ.get("PAVEDROAD_TEST_NATS_URL")
    root = Path(tempfile.mkdtemp(prefix="pavedroad-test-"))
    cleanup.append(root)
    if admin_url is None:
        # Durability is irrelevant for throwaway test data; speed is not.
        pg = EmbeddedPostgres(root, settings={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        admin_url = pg.start()
        cleanup.append(pg)
    if with_nats and nats_url is None:
        nats = EmbeddedNats(root)
        nats_url = nats.start()
        cleanup.append(nats)
    servers = TestServers(admin_url, nats_url, cleanup)
    try:
        yield servers
    finally:
        servers.stop()
