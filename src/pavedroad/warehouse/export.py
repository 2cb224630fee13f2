"""Parquet export: every warehouse table as date-partitioned Parquet, for readers outside the writer.

Guarantee: ``<out>/<table>/partition_date=YYYY-MM-DD/*.parquet`` for tables with a time column (the
first TIMESTAMPTZ/TIMESTAMP/DATE column), a single ``<out>/<table>.parquet`` otherwise; each export
replaces the previous one for that table, and reads from one consistent DuckDB snapshot.
"""

from __future__ import annotations

from pathlib import Path

from pavedroad.warehouse.load import _first, _q
from pavedroad.warehouse.schema import Column, Table
from pavedroad.warehouse.warehouse import Warehouse

__all__ = ["export_parquet", "partition_column"]

_EVENTS = Table(
    "events",
    (Column("stream_seq", "BIGINT", "int"), Column("occurred_at", "TIMESTAMPTZ", "str")),
    (),
)


def partition_column(table: Table) -> str | None:
    """The column whose date partitions the export (first time-typed column), if any."""
    for column in table.columns:
        if column.duck_type in ("TIMESTAMPTZ", "TIMESTAMP", "DATE"):
            return column.name
    return None


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_parquet(warehouse: Warehouse, out_dir: Path, *, tables: list[str] | None = None) -> dict[str, int]:
    """Write Parquet for ``tables`` (default: all, plus the event log); return rows per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = [(name, warehouse.tables[name], _q(name)) for name in (tables or sorted(warehouse.tables))]
    if tables is None:
        targets.append(("events", _EVENTS, "pavedroad_meta.events"))
    counts: dict[str, int] = {}
    duck = warehouse.duck
    duck.execute("BEGIN TRANSACTION")
    try:
        for name, table, source in targets:
            row = _first(duck.execute(f"SELECT count(*) FROM {source}").fetchall())
            counts[name] = int(row[0]) if row else 0
            part = partition_column(table)
            if part is None:
                duck.execute(
                    f"COPY (SELECT * FROM {source}) TO {_literal(out_dir / (name + '.parquet'))} (FORMAT parquet)"
                )
                continue
            duck.execute(
                f"COPY (SELECT *, CAST({_q(part)} AS DATE) AS partition_date FROM {source})"
                f" TO {_literal(out_dir / name)} (FORMAT parquet, PARTITION_BY (partition_date), OVERWRITE true)"
            )
    finally:
        duck.execute("COMMIT")
    return counts
