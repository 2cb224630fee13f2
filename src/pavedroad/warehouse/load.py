"""Columnar loading into DuckDB: Arrow batches with explicit schemas and explicit column lists.

Guarantees: each table's folded changes load with one set-based statement per column shape (never
row-by-row ``executemany``); every value travels as its declared wire type and is CAST to the table's
type in SQL, so a type mismatch fails the whole batch instead of loading something else.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from pavedroad.warehouse.projection import TableChanges
from pavedroad.warehouse.schema import Column, Table, arrow_type

__all__ = ["apply_changes", "arrow_batch", "insert_arrow"]

_BATCH = "pavedroad_batch"


def _wire(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.wire == "json":
        return json.dumps(value, separators=(",", ":"))
    if column.wire == "str" and not isinstance(value, str):
        return str(value)
    return value


def arrow_batch(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table with exactly ``columns`` (wire types), filled from dict rows."""
    rows = list(rows)
    arrays = [pa.array([_wire(c, r.get(c.name)) for r in rows], type=arrow_type(c)) for c in columns]
    return pa.Table.from_arrays(arrays, schema=pa.schema([(c.name, arrow_type(c)) for c in columns]))


def _unregister(duck: duckdb.DuckDBPyConnection) -> None:
    _unregister_name(duck, _BATCH)


def _unregister_name(duck: duckdb.DuckDBPyConnection, name: str) -> None:
    # In an aborted transaction unregistering fails too; the original error is the one to report.
    with contextlib.suppress(duckdb.Error):
        duck.unregister(name)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cast(column: Column, source: str) -> str:
    return f"CAST({source}.{_q(column.name)} AS {column.duck_type})"


def insert_arrow(
    duck: duckdb.DuckDBPyConnection, target: str, columns: Sequence[Column], batch: pa.Table, *, suffix: str = ""
) -> None:
    """``INSERT INTO target (cols) SELECT CAST(...) FROM batch`` with an optional ON CONFLICT suffix."""
    duck.register(_BATCH, batch)
    try:
        cols = ", ".join(_q(c.name) for c in columns)
        casts = ", ".join(_cast(c, "b") for c in columns)
        duck.execute(f"INSERT INTO {target} ({cols}) SELECT {casts} FROM {_BATCH} b {suffix}")
    finally:
        _unregister(duck)


def _upsert(duck: duckdb.DuckDBPyConnection, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> None:
    columns = [table.column(n) for n in names]
    rest = [n for n in names if n not in table.key]
    keys = ", ".join(_q(k) for k in table.key)
    if rest:
        sets = ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in rest)
        suffix = f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    else:
        suffix = f"ON CONFLICT ({keys}) DO NOTHING"
    insert_arrow(duck, _q(table.name), columns, arrow_batch(columns, rows), suffix=suffix)


def _update(duck: duckdb.DuckDBPyConnection, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> None:
    columns = [table.column(n) for n in names]
    rest = [c for c in columns if c.name not in table.key]
    if not rest:
        return
    duck.register(_BATCH, arrow_batch(columns, rows))
    try:
        sets = ", ".join(f"{_q(c.name)} = {_cast(c, 'b')}" for c in rest)
        match = " AND ".join(f"t.{_q(k)} = {_cast(table.column(k), 'b')}" for k in table.key)
        duck.execute(f"UPDATE {_q(table.name)} AS t SET {sets} FROM {_BATCH} b WHERE {match}")
    finally:
        _unregister(duck)


def _by_shape(rows: Iterable[dict[str, Any]], table: Table) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    order = {name: i for i, name in enumerate(table.column_names)}
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        shapes[tuple(sorted(row, key=order.__getitem__))].append(row)
    return shapes


def apply_changes(
    duck: duckdb.DuckDBPyConnection, tables: Mapping[str, Table], changes: Mapping[str, TableChanges]
) -> int:
    """Load folded changes (inside the caller's DuckDB transaction); return rows written."""
    written = 0
    for name, change in changes.items():
        table = tables[name]
        for shape, rows in _by_shape(change.inserts.values(), table).items():
            _upsert(duck, table, shape, rows)
            written += len(rows)
        for shape, rows in _by_shape(change.updates.values(), table).items():
            _update(duck, table, shape, rows)
            written += len(rows)
    return written


def _first(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    """The first row of a fully fetched result (DuckDB wants results read to the end)."""
    return rows[0] if rows else None
