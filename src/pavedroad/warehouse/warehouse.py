"""The warehouse: one DuckDB file, one writer. Loads event micro-batches with exactly-once effect.

Guarantees: a batch's rows, its raw events and the stream offset it reached commit in *one* DuckDB
transaction, so after any crash the file holds exactly the events up to its stored offset; events at or
below the offset are skipped when redelivered. Mirror tables are created from (and widened to match)
the Postgres catalog. Readers either go through this object (``query``) or read exported Parquet: DuckDB
allows one writing process per file.

The offset counts in one incarnation of the stream, identified by its creation time (``follow_stream``):
a stream deleted and created again restarts its sequences at 1, so an offset carried over would skip every
new event. On a new incarnation the offset restarts at 0, and events the old one already loaded are
recognised by their event id and passed over.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from pavedroad.errors import Unavailable
from pavedroad.warehouse.load import _first
from pavedroad.warehouse.projection import Projection, check_projections
from pavedroad.warehouse.schema import META_DDL, Table, create_sql, introspect, table_from_json
from pavedroad.warehouse.sqlload import RAW_SCHEMA, load_raw_batch

__all__ = ["LoadResult", "Warehouse"]


@dataclass
class LoadResult:
    loaded: int = 0
    skipped: int = 0
    rejected: int = 0
    rows: int = 0
    offset: int = 0
    seconds: float = 0.0
    event_ids: list[str] = field(default_factory=list)


class Warehouse:
    """The single writer of one DuckDB warehouse file."""

    def __init__(
        self,
        path: Path | str,
        *,
        projections: Mapping[str, Sequence[Projection]],
        tables: Sequence[Table] = (),
        stream: str = "PAVEDROAD_EVENTS",
    ) -> None:
        self.path = str(path)
        self.stream = stream
        self.projections = projections
        try:
            self.duck = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            raise Unavailable(
                f"the warehouse {self.path} is locked by another writer",
                hint="one process writes a DuckDB file; read through it or through the Parquet export",
            ) from exc
        for ddl in META_DDL:
            self.duck.execute(ddl)
        self._scratch: set[str] = set()
        self._loaded_until_us: int | None = self._stream_row()[1]
        self.tables: dict[str, Table] = {}
        for name, definition in self.duck.execute("select name, definition from pavedroad_meta.tables").fetchall():
            self.tables[name] = table_from_json(definition)
        self.ensure_tables(tables)

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        owner_url: str | None,
        table_names: Sequence[str],
        projections: Mapping[str, Sequence[Projection]],
        stream: str = "PAVEDROAD_EVENTS",
    ) -> Warehouse:
        """Open (or create) the file; with ``owner_url``, mirror ``table_names`` from the Postgres catalog."""
        tables: list[Table] = []
        if owner_url is not None:
            with psycopg.connect(owner_url) as conn:
                tables = introspect(conn, tuple(table_names))
        return cls(path, projections=projections, tables=tables, stream=stream)

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        """Create missing mirror tables; add columns Postgres gained (additive schema evolution)."""
        for table in tables:
            known = self.tables.get(table.name)
            self.duck.execute(create_sql(table))
            if known is not None:
                for column in table.columns:
                    if column.name not in known.column_names:
                        self.duck.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.duck_type}')
            self.duck.execute(
                "insert or replace into pavedroad_meta.tables values (?, ?)", [table.name, table.to_json()]
            )
            self.tables[table.name] = table
        if self.tables:
            check_projections(
                {k: v for k, v in self.projections.items() if all(p.table in self.tables for p in v)},
                {n: t.column_names for n, t in self.tables.items()},
                {n: t.key for n, t in self.tables.items()},
            )

    def offset(self) -> int:
        """The last stream sequence whose effect is in the file (0: nothing loaded)."""
        # fetchall, not fetchone: DuckDB refuses new statements while a result is only partly read.
        rows = self.duck.execute(
            "select last_seq from pavedroad_meta.offsets where stream = ?", [self.stream]
        ).fetchall()
        row = _first(rows)
        return int(row[0]) if row else 0

    def _stream_row(self) -> tuple[str | None, int | None]:
        rows = self.duck.execute(
            "select created, loaded_until_us from pavedroad_meta.streams where stream = ?", [self.stream]
        ).fetchall()
        row = _first(rows)
        return (str(row[0]), None if row[1] is None else int(row[1])) if row else (None, None)

    def follow_stream(self, created: str, last_seq: int) -> bool:
        """Tie the offset to the stream incarnation created at ``created`` whose newest sequence is
        ``last_seq``; return True when it is not the one the offset counts in (the stream was reset).

        A reset is a different creation time, or an offset past the stream's end (a file from before
        identities were kept). Then the offset restarts at 0 and the newest event time loaded so far is
        kept, so the events of the old incarnation that reappear are recognised by id, not loaded twice.
        """
        self.duck.execute("BEGIN TRANSACTION")
        try:
            known, loaded_until = self._stream_row()
            offset = self.offset()
            reset = (known is not None and known != created) or offset > last_seq
            if reset:
                rows = self.duck.execute("select epoch_us(max(occurred_at)) from pavedroad_meta.events").fetchall()
                times = [t for t in (loaded_until, rows[0][0]) if t is not None]
                loaded_until = max(times) if times else None
                self.set_offset(0)
            if reset or known != created:
                self.duck.execute(
                    "insert or replace into pavedroad_meta.streams values (?, ?, ?)",
                    [self.stream, created, loaded_until],
                )
            self.duck.execute("COMMIT")
        except BaseException:
            self.duck.execute("ROLLBACK")
            raise
        self._loaded_until_us = loaded_until
        return reset

    def adopt_stream(self, created: str) -> None:
        """Record that the offset, as set now (e.g. by a rebuild from Postgres), counts in the stream
        incarnation created at ``created``."""
        self.duck.execute("insert or replace into pavedroad_meta.streams values (?, ?, NULL)", [self.stream, created])
        self._loaded_until_us = None

    def set_offset(self, seq: int) -> None:
        self.duck.execute(
            "insert or replace into pavedroad_meta.offsets values (?, ?, ?)", [self.stream, seq, datetime.now(UTC)]
        )

    def load(self, batch: Sequence[tuple[int, bytes | None, str]], *, want_ids: bool = False) -> LoadResult:
        """Load ``(stream_seq, data, subject)`` messages in one transaction; skip those at or below the offset.

        ``data=None`` marks a message to pass over (its sequence still advances the offset). With
        ``want_ids`` the result lists the loaded event ids (for latency measurements).
        """
        started = time.perf_counter()
        result = LoadResult()
        self.duck.execute("BEGIN TRANSACTION")
        try:
            offset = self.offset()
            fresh = [m for m in batch if m[0] > offset]
            result.skipped = len(batch) - len(fresh)
            carried = [m for m in fresh if m[1] is not None]
            if carried:
                raw = pa.Table.from_arrays(
                    [
                        pa.array([m[0] for m in carried], type=pa.int64()),
                        pa.array([m[2] for m in carried], type=pa.string()),
                        pa.array([bytes(m[1] or b"").decode("utf-8", "replace") for m in carried], type=pa.string()),
                    ],
                    schema=RAW_SCHEMA,
                )
                result.loaded, result.rejected, result.rows, result.event_ids = load_raw_batch(
                    self.duck, self.tables, self.projections, raw, scratch=self._scratch, want_ids=want_ids,
                    loaded_until_us=self._loaded_until_us,
                )  # fmt: skip
            result.offset = max([offset, *(m[0] for m in fresh)])
            if fresh:
                self.set_offset(result.offset)
            self.duck.execute("COMMIT")
        except BaseException:
            self.duck.execute("ROLLBACK")
            self._scratch.clear()  # scratch tables created in this transaction are gone
            raise
        result.seconds = time.perf_counter() - started
        return result

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query through the writer (other processes read the Parquet export).

        Rows come through Arrow, so time-zoned timestamps are ``zoneinfo`` datetimes (no pytz needed).
        """
        table = self.duck.sql(sql, params=list(params or [])).to_arrow_table()
        return [tuple(row.values()) for row in table.to_pylist()]

    def close(self) -> None:
        self.duck.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
