"""pavedroad's own online-safety rules for migrations, on top of squawk.

Guarantee: ``check_migration`` flags the steps that block or break a live system when applied to a
table that already holds data — a non-concurrent index, a table rewrite, a NOT NULL without a safe
path, dropping or renaming a column or table the semantic model still uses — and never flags work on
a table created earlier in the same file (the initial ``0001_*`` migrations create and index their
tables in one transaction, which is safe because nobody can hold a lock on a table that did not exist).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pavedroad.db import Statement, split_statements
from pavedroad.privacy.findings import Finding

__all__ = ["MigrationFile", "check_migration", "check_migrations"]

_IDENT = r'"?([A-Za-z_][A-Za-z0-9_$]*)"?'
_QUALIFIED = rf"(?:{_IDENT}\.)?{_IDENT}"
_CREATE_TABLE = re.compile(rf"^CREATE (?:UNLOGGED |TEMP |TEMPORARY )?TABLE (?:IF NOT EXISTS )?{_QUALIFIED}", re.I)
_CREATE_INDEX = re.compile(
    rf"^CREATE (UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?(?:{_IDENT} )?ON (?:ONLY )?{_QUALIFIED}", re.I
)
_ALTER_TABLE = re.compile(rf"^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?{_QUALIFIED} (.*)$", re.I)
_DROP_TABLE = re.compile(rf"^DROP TABLE (?:IF EXISTS )?{_QUALIFIED}", re.I)
# Defaults Postgres must compute per row (so ADD COLUMN rewrites the table); now() and constants are fine.
_ADD_NOT_NULL = re.compile(
    r"\bADD (COLUMN )?(IF NOT EXISTS )?(?!CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|EXCLUDE)"
    r"\S+ [^,]*?(?<!IS )\bNOT NULL\b"
)
_VOLATILE = re.compile(r"\b(random|gen_random_uuid|uuid_generate_v\d\w*|clock_timestamp|timeofday|nextval)\s*\(", re.I)


@dataclass(frozen=True)
class MigrationFile:
    """A migration's name (``source:file``) and SQL."""

    name: str
    text: str


@dataclass(frozen=True)
class _Ctx:
    file: str
    created: frozenset[str]  # tables created earlier in this file
    model_columns: frozenset[tuple[str, str]]
    not_null_checks: frozenset[tuple[str, str]]  # (table, column) with a CHECK (col IS NOT NULL) on record


def _subject(ctx: _Ctx, stmt: Statement) -> str:
    return f"{ctx.file}:{stmt.line}"


def _index(stmt: Statement, ctx: _Ctx) -> Iterator[Finding]:
    m = _CREATE_INDEX.match(stmt.text)
    if m and not m.group(2) and m.group(5) not in ctx.created:
        yield Finding(
            "M201",
            _subject(ctx, stmt),
            f"CREATE INDEX on existing table {m.group(5)} blocks writes",
            "use CREATE INDEX CONCURRENTLY in a file of its own",
        )


def _alter(stmt: Statement, ctx: _Ctx) -> Iterator[Finding]:
    m = _ALTER_TABLE.match(stmt.text)
    if not m or m.group(2) in ctx.created:
        return
    table, action = m.group(2), m.group(3)
    where = _subject(ctx, stmt)
    up = action.upper()
    if re.search(r"\bALTER (COLUMN )?\S+ (SET DATA )?TYPE\b", up):
        yield Finding(
            "M202",
            where,
            f"changing a column type rewrites {table} under an exclusive lock",
            "add a new column, backfill in batches, switch readers, then drop the old one",
        )
    if re.search(r"\bADD (COLUMN )?", up) and (_VOLATILE.search(action) or "GENERATED ALWAYS AS (" in up):
        yield Finding(
            "M202",
            where,
            f"adding a column with a volatile default or stored expression rewrites {table}",
            "add the column without a default, then backfill in batches",
        )
    if re.search(r"\bSET (LOGGED|UNLOGGED|TABLESPACE)\b", up):
        yield Finding("M202", where, f"this ALTER rewrites {table}", "avoid it on a live table")
    if _ADD_NOT_NULL.search(up) and " DEFAULT " not in up:
        yield Finding(
            "M203",
            where,
            f"adding a NOT NULL column without a default fails once {table} has rows",
            "add it nullable (or with a constant DEFAULT), backfill, then make it NOT NULL safely",
        )
    for col in re.findall(rf"ALTER (?:COLUMN )?{_IDENT} SET NOT NULL", action, re.I):
        if (table, col) not in ctx.not_null_checks:
            yield Finding(
                "M203",
                where,
                f"SET NOT NULL on {table}.{col} scans the table under an exclusive lock",
                f"first ADD CONSTRAINT {col}_not_null CHECK ({col} IS NOT NULL) NOT VALID, "
                "VALIDATE it in a later migration, then SET NOT NULL",
            )
    for col in re.findall(rf"DROP (?:COLUMN )?(?:IF EXISTS )?{_IDENT}", action, re.I):
        if (table, col) in ctx.model_columns:
            yield Finding(
                "M204",
                where,
                f"dropping {table}.{col}, which the semantic model still uses",
                "remove the field from the semantic model and release that first; drop the column later",
            )
    for col, new in re.findall(rf"RENAME (?:COLUMN )?{_IDENT} TO {_IDENT}", action, re.I):
        if (table, col) in ctx.model_columns:
            yield Finding(
                "M204",
                where,
                f"renaming {table}.{col} to {new} breaks the semantic model and live readers",
                "add the new column, dual-write, move the model, then drop the old one",
            )
    if re.match(r"RENAME TO ", up) and any(t == table for t, _ in ctx.model_columns):
        yield Finding(
            "M204",
            where,
            f"renaming table {table}, which the semantic model still uses",
            "create a view or new table, move the model, then drop the old name",
        )


def _drop_table(stmt: Statement, ctx: _Ctx) -> Iterator[Finding]:
    m = _DROP_TABLE.match(stmt.text)
    if m and any(t == m.group(2) for t, _ in ctx.model_columns):
        yield Finding(
            "M204",
            _subject(ctx, stmt),
            f"dropping table {m.group(2)}, which the semantic model still uses",
            "remove the entity from the semantic model and release that first",
        )


def _rewrites(stmt: Statement, ctx: _Ctx) -> Iterator[Finding]:
    if re.match(r"^(VACUUM (\(.*\) )?FULL|CLUSTER)\b", stmt.upper):
        yield Finding(
            "M202",
            _subject(ctx, stmt),
            "VACUUM FULL / CLUSTER rewrites under an exclusive lock",
            "use pg_repack out of band, never in a migration",
        )


_RULES: tuple[Callable[[Statement, _Ctx], Iterator[Finding]], ...] = (_index, _alter, _drop_table, _rewrites)
_NOT_NULL_CHECK = re.compile(
    rf"ALTER TABLE (?:ONLY )?{_QUALIFIED} ADD CONSTRAINT \S+ CHECK \(\s*{_IDENT} IS NOT NULL\s*\)", re.I
)


def check_migration(
    migration: MigrationFile,
    *,
    model_columns: frozenset[tuple[str, str]] = frozenset(),
    not_null_checks: frozenset[tuple[str, str]] = frozenset(),
) -> list[Finding]:
    """Findings for one file; ``not_null_checks`` are CHECK constraints added by earlier files."""
    findings: list[Finding] = []
    created: set[str] = set()
    for stmt in split_statements(migration.text):
        ctx = _Ctx(migration.name, frozenset(created), model_columns, not_null_checks)
        for rule in _RULES:
            findings.extend(rule(stmt, ctx))
        m = _CREATE_TABLE.match(stmt.text)
        if m:
            created.add(m.group(2))
    return findings


def check_migrations(
    migrations: Sequence[MigrationFile], *, model_columns: frozenset[tuple[str, str]] = frozenset()
) -> list[Finding]:
    """Findings for files in apply order; a NOT NULL check added by an earlier file is a safe path."""
    findings: list[Finding] = []
    checks: set[tuple[str, str]] = set()
    for migration in migrations:
        findings.extend(check_migration(migration, model_columns=model_columns, not_null_checks=frozenset(checks)))
        for stmt in split_statements(migration.text):
            for m in _NOT_NULL_CHECK.finditer(stmt.text):
                checks.add((m.group(2), m.group(3)))
    return findings
