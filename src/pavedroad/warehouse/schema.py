"""Warehouse tables: mirrors of Postgres tables (same names, columns and keys) and the pipeline's own.

``introspect`` reads columns and primary keys from the Postgres catalog and maps each type to DuckDB's,
so the warehouse always has the same names as the operational schema (the query compiler targets both).
Each column also has a *wire* kind: how its values travel in an Arrow batch before an explicit CAST.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import psycopg
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from pavedroad.errors import ConfigurationError

__all__ = ["META_DDL", "Column", "Table", "arrow_type", "create_sql", "introspect", "table_from_json"]

Wire = Literal["int", "bool", "float", "str", "json"]

# Postgres type (format_type) → (DuckDB type, wire kind). Declarative; unknown types fall back to text.
_TYPES: dict[str, tuple[str, Wire]] = {
    "bigint": ("BIGINT", "int"),
    "integer": ("INTEGER", "int"),
    "smallint": ("SMALLINT", "int"),
    "boolean": ("BOOLEAN", "bool"),
    "double precision": ("DOUBLE", "float"),
    "real": ("FLOAT", "float"),
    "text": ("VARCHAR", "str"),
    "uuid": ("UUID", "str"),
    "date": ("DATE", "str"),
    "timestamp with time zone": ("TIMESTAMPTZ", "str"),
    "timestamp without time zone": ("TIMESTAMP", "str"),
    "jsonb": ("JSON", "json"),
    "json": ("JSON", "json"),
    "numeric": ("DOUBLE", "str"),
}
_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")
_ARROW: dict[Wire, pa.DataType] = {
    "int": pa.int64(),
    "bool": pa.bool_(),
    "float": pa.float64(),
    "str": pa.string(),
    "json": pa.string(),
}

META_DDL = (
    "CREATE SCHEMA IF NOT EXISTS pavedroad_meta",
    "CREATE TABLE IF NOT EXISTS pavedroad_meta.offsets (stream VARCHAR PRIMARY KEY, last_seq BIGINT NOT NULL,"
    " updated_at TIMESTAMPTZ NOT NULL)",
    "CREATE TABLE IF NOT EXISTS pavedroad_meta.tables (name VARCHAR PRIMARY KEY, definition JSON NOT NULL)",
    # Which incarnation of the stream the offset counts in (its creation time), and, after a reset, the
    # newest event time loaded from the old one (epoch µs): events up to it may be loaded already and are
    # checked by id.
    "CREATE TABLE IF NOT EXISTS pavedroad_meta.streams (stream VARCHAR PRIMARY KEY, created VARCHAR NOT NULL,"
    " loaded_until_us BIGINT)",
    # The event log: one row per event loaded (no key on purpose: exactly-once comes from the offset,
    # and a test can count duplicates).
    "CREATE TABLE IF NOT EXISTS pavedroad_meta.events (stream_seq BIGINT, id UUID, type VARCHAR,"
    " schema_version INTEGER, tenant_id VARCHAR, aggregate_type VARCHAR, aggregate_id VARCHAR,"
    " occurred_at TIMESTAMPTZ, payload JSON, loaded_at TIMESTAMPTZ)",
    "CREATE TABLE IF NOT EXISTS pavedroad_meta.rejects (stream_seq BIGINT, subject VARCHAR, error VARCHAR,"
    " data BLOB, rejected_at TIMESTAMPTZ)",
)


@dataclass(frozen=True)
class Column:
    name: str
    duck_type: str
    wire: Wire


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def table_from_json(text: str) -> Table:
    data: dict[str, Any] = json.loads(text)
    return Table(data["name"], tuple(Column(**c) for c in data["columns"]), tuple(data["key"]))


def arrow_type(column: Column) -> pa.DataType:
    return _ARROW[column.wire]


def _map(pg_type: str) -> tuple[str, Wire]:
    match = _NUMERIC.match(pg_type)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})", "str"
    if pg_type.startswith(("character varying", "character(")):
        return "VARCHAR", "str"
    return _TYPES.get(pg_type, ("VARCHAR", "str"))


def introspect(conn: psycopg.Connection, names: tuple[str, ...], schema: str = "public") -> list[Table]:
    """The DuckDB mirror of each named Postgres table (columns in order, primary key)."""
    tables = []
    for name in names:
        cols = conn.execute(
            "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
            " join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
            (schema, name),
        ).fetchall()
        if not cols:
            raise ConfigurationError(f"table {schema}.{name} does not exist", hint="run `pavedroad migrate` first")
        key = conn.execute(
            "select a.attname from pg_index i join pg_class c on c.oid = i.indrelid"
            " join pg_namespace n on n.oid = c.relnamespace"
            " join lateral unnest(i.indkey) with ordinality k(attnum, ord) on true"
            " join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum"
            " where n.nspname = %s and c.relname = %s and i.indisprimary order by k.ord",
            (schema, name),
        ).fetchall()
        columns = tuple(Column(col, *_map(pg_type)) for col, pg_type in cols)
        tables.append(Table(name, columns, tuple(k[0] for k in key)))
    return tables


def create_sql(table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the mirror, with its primary key (needed for upserts)."""
    cols = ", ".join(f'"{c.name}" {c.duck_type}' for c in table.columns)
    key = f", PRIMARY KEY ({', '.join(chr(34) + k + chr(34) for k in table.key)})" if table.key else ""
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" ({cols}{key})'
