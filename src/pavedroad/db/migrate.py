"""Ordered SQL migrations under an advisory lock, recorded in ``pavedroad_meta.schema_migrations``.

Guarantees: migrations from several sources apply in a fixed order, each file once, each in its own
transaction with a short ``lock_timeout`` (retried) so a migration never queues behind live traffic for
long; concurrent runners serialise on one advisory lock; an applied file whose text changed is refused.
A file of ``CREATE/DROP INDEX CONCURRENTLY`` statements (which Postgres cannot run in a transaction) is
applied statement by statement outside one; its statements must be idempotent (``IF [NOT] EXISTS``) and
an index left invalid by an interrupted build is dropped and built again, so a re-run completes it.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path

import psycopg
from psycopg import sql

from pavedroad.db.statements import split_statements
from pavedroad.errors import ConfigurationError, Unavailable, present

__all__ = ["APP_ROLE", "Migration", "MigrationSource", "ensure_app_role", "migrate", "pending", "source_from_package"]

APP_ROLE = "pavedroad_app"
_LOCK_KEY = 7_462_390_113  # pg_advisory_lock key shared by every pavedroad migration runner
_LOCK_TIMEOUT = "5s"
_LOCK_RETRIES = 5
_CONCURRENT = re.compile(r"^(CREATE (UNIQUE )?INDEX|DROP INDEX|REINDEX \w+) CONCURRENTLY\b", re.I)
_IDENT = r'"?([A-Za-z_][A-Za-z0-9_$]*)"?'
_CREATE_CONCURRENT = re.compile(
    rf"^CREATE (?:UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS {_IDENT} ON (?:ONLY )?((?:{_IDENT}\.)?{_IDENT})", re.I
)


@dataclass(frozen=True)
class Migration:
    """One SQL file: ``source:name`` is its version; ``checksum`` pins its text once applied."""

    source: str
    name: str
    text: str

    @property
    def version(self) -> str:
        return f"{self.source}:{self.name}"

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def concurrent(self) -> bool:
        """Whether the file builds or drops indexes ``CONCURRENTLY`` (applied outside a transaction)."""
        return any(_CONCURRENT.match(st.text) for st in split_statements(self.text))


@dataclass(frozen=True)
class MigrationSource:
    """A named, ordered list of migrations (a block's ``migrations/`` folder)."""

    name: str
    migrations: tuple[Migration, ...]


def source_from_package(name: str, package: str) -> MigrationSource:
    """Read ``<package>/migrations/*.sql`` in file-name order."""
    folder = resources.files(package).joinpath("migrations")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return MigrationSource(name, tuple(Migration(name, f.name, f.read_text()) for f in files))


def source_from_dir(name: str, folder: Path) -> MigrationSource:
    """Read ``folder/*.sql`` in file-name order (for tests and users' own migrations)."""
    files = sorted(folder.glob("*.sql"))
    return MigrationSource(name, tuple(Migration(name, f.name, f.read_text(encoding="utf-8")) for f in files))


def ensure_app_role(conn: psycopg.Connection, password: str | None = None) -> None:
    """Create ``pavedroad_app``: may log in, owns nothing, cannot bypass row-level security."""
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (APP_ROLE,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(APP_ROLE)))
    conn.execute(
        sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION").format(
            sql.Identifier(APP_ROLE)
        )
    )
    if password:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(APP_ROLE), sql.Literal(password)))
    db = conn.execute("select current_database()").fetchone()
    db = present(db, "the current database name")
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(db[0]), sql.Identifier(APP_ROLE)))


def _applied(conn: psycopg.Connection) -> dict[str, str]:
    conn.execute("CREATE SCHEMA IF NOT EXISTS pavedroad_meta")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS pavedroad_meta.schema_migrations ("
        " version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    rows = conn.execute("select version, checksum from pavedroad_meta.schema_migrations").fetchall()
    return dict(rows)


def pending(owner_url: str, sources: Sequence[MigrationSource]) -> list[Migration]:
    """Migrations not yet applied, in the order ``migrate`` would apply them."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        applied = _applied(conn)
    return [m for s in sources for m in s.migrations if m.version not in applied]


def migrate(owner_url: str, sources: Sequence[MigrationSource], *, app_password: str | None = None) -> list[str]:
    """Apply what is pending, as the owner; return the versions applied (empty on a second run)."""
    try:
        conn = psycopg.connect(owner_url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise Unavailable(
            f"cannot connect to the database to migrate: {str(exc).strip()}",
            hint="check PAVEDROAD_DATABASE_URL, or unset it to use the embedded server",
        ) from None
    done: list[str] = []
    with conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            ensure_app_role(conn, app_password)
            applied = _applied(conn)
            for source in sources:
                for migration in source.migrations:
                    if migration.version in applied:
                        if applied[migration.version] != migration.checksum:
                            raise ConfigurationError(
                                f"migration {migration.version} was changed after it was applied",
                                hint="never edit an applied migration; add a new file instead",
                            )
                        continue
                    _apply(conn, migration)
                    done.append(migration.version)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return done


def _apply(conn: psycopg.Connection, migration: Migration) -> None:
    """Run one file in a transaction with a short lock_timeout, retrying when it could not get a lock."""
    if migration.concurrent:
        _apply_concurrently(conn, migration)
        return

    def in_transaction() -> None:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(_LOCK_TIMEOUT)))
            conn.execute(migration.text.encode())
            _record(conn, migration)

    _retrying_locks(
        f"migration {migration.version}", in_transaction,
        hint="fix the SQL in a new migration file; nothing of this one was applied",
    )  # fmt: skip


def _apply_concurrently(conn: psycopg.Connection, migration: Migration) -> None:
    """Build or drop indexes without blocking writes: each statement on its own, outside a transaction;
    the file is recorded only once every statement succeeded, and re-running it is safe."""
    statements = split_statements(migration.text)
    for st in statements:
        if not _CONCURRENT.match(st.text) or " IF " not in st.upper:
            raise ConfigurationError(
                f"migration {migration.version} line {st.line}: a file that uses CONCURRENTLY may hold only"
                " idempotent CREATE INDEX CONCURRENTLY IF NOT EXISTS / DROP INDEX CONCURRENTLY IF EXISTS",
                hint="Postgres runs these outside a transaction, so a re-run after a failure must be safe;"
                " put other statements in a file of their own",
            )
    conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(_LOCK_TIMEOUT)))
    try:
        for st in statements:
            created = _CREATE_CONCURRENT.match(st.text)
            clean_up = partial(_drop_if_invalid, conn, created.group(1), created.group(2)) if created else _nothing
            clean_up()
            _retrying_locks(
                f"migration {migration.version} line {st.line}", partial(conn.execute, st.text.encode()),
                hint="the statements before it were applied and are safe to run again;"
                " fix this one in a new migration file",
                on_failure=clean_up,
            )  # fmt: skip
        _record(conn, migration)
    finally:
        conn.execute("RESET lock_timeout")


def _nothing() -> None:
    pass


def _retrying_locks(
    what: str, step: Callable[[], object], *, hint: str, on_failure: Callable[[], None] = _nothing
) -> None:
    """Run ``step``, retrying with back-off while it cannot take its locks within ``lock_timeout``; any
    other database error is final. ``on_failure`` runs after every failed attempt."""
    for attempt in range(1, _LOCK_RETRIES + 1):
        try:
            step()
            return
        except psycopg.errors.LockNotAvailable:
            on_failure()
            if attempt == _LOCK_RETRIES:
                raise Unavailable(
                    f"{what} could not take its locks after {attempt} tries",
                    hint="long transactions hold the tables; retry when traffic is lower",
                ) from None
            time.sleep(0.2 * 2**attempt)
        except psycopg.Error as exc:
            on_failure()
            raise ConfigurationError(f"{what} failed: {str(exc).strip()}", hint=hint) from None


def _record(conn: psycopg.Connection, migration: Migration) -> None:
    conn.execute(
        "insert into pavedroad_meta.schema_migrations (version, checksum) values (%s, %s)",
        (migration.version, migration.checksum),
    )


def _drop_if_invalid(conn: psycopg.Connection, index: str, table: str) -> None:
    """An interrupted concurrent build leaves an invalid index that ``IF NOT EXISTS`` would skip: drop it."""
    row = conn.execute(
        "select n.nspname from pg_index i join pg_class c on c.oid = i.indexrelid"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where c.relname = %s and not i.indisvalid and i.indrelid = to_regclass(%s)",
        (index, table.replace('"', "")),
    ).fetchone()
    if row is not None:
        conn.execute(
            sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}.{}").format(sql.Identifier(row[0]), sql.Identifier(index))
        )
