"""The warehouse: one DuckDB file, one writer. Loads event micro-batches with exactly-once effect.

Guarantees: a batch's rows, its raw events and the stream offset it reached commit in *one* DuckDB
transaction, so after any crash the file holds exactly the events up to its stored offset; events at or
below the offset are skipped when redelivered. Mirror tables are created from (and widened to match)
the Postgres catalog. Readers either go through this object (``query``) or read exported Parquet: DuckDB
allows one writing process per file.
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

from pavedroad.errors import ConfigurationError, Unavailable
from pavedroad.events import Event
from pavedroad.warehouse.load import _first, apply_changes, arrow_batch, insert_arrow
from pavedroad.warehouse.projection import Projection, check_projections, fold
from pavedroad.warehouse.schema import META_DDL, Column, Table, create_sql, introspect, table_from_json

__all__ = ["LoadResult", "Warehouse"]

_EVENT_COLUMNS = (
    Column("stream_seq", "BIGINT", "int"),
    Column("id", "UUID", "str"),
    Column("type", "VARCHAR", "str"),
    Column("schema_version", "INTEGER", "int"),
    Column("tenant_id", "VARCHAR", "str"),
    Column("aggregate_type", "VARCHAR", "str"),
    Column("aggregate_id", "VARCHAR", "str"),
    Column("occurred_at", "TIMESTAMPTZ", "str"),
    Column("payload", "JSON", "json"),
    Column("loaded_at", "TIMESTAMPTZ", "str"),
)
_REJECT_COLUMNS = (
    Column("stream_seq", "BIGINT", "int"),
    Column("subject", "VARCHAR", "str"),
    Column("error", "VARCHAR", "str"),
    Column("rejected_at", "TIMESTAMPTZ", "str"),
)


@dataclass
class LoadResult:
    loaded: int = 0
    skipped: int = 0
    rejected: int = 0
    rows: int = 0
    offset: int = 0
    seconds: float = 0.0
    event_ids: list[str] = field(default_factory=list)


def _redacted(event: Event) -> dict[str, Any]:
    """The payload minus fields classified ``sensitive`` (never kept in the analytics store)."""
    return {k: v for k, v in event.payload.items() if event.classification.get(k) != "sensitive"}


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

    def set_offset(self, seq: int) -> None:
        self.duck.execute(
            "insert or replace into pavedroad_meta.offsets values (?, ?, ?)", [self.stream, seq, datetime.now(UTC)]
        )

    def load(self, batch: Sequence[tuple[int, bytes | None, str]]) -> LoadResult:
        """Load ``(stream_seq, data, subject)`` messages in one transaction; skip those at or below the offset.

        ``data=None`` marks a message to pass over (its sequence still advances the offset).
        """
        started = time.perf_counter()
        result = LoadResult()
        self.duck.execute("BEGIN TRANSACTION")
        try:
            offset = self.offset()
            fresh = [m for m in batch if m[0] > offset]
            result.skipped = len(batch) - len(fresh)
            events: list[tuple[int, Event]] = []
            rejects: list[dict[str, Any]] = []
            now = datetime.now(UTC).isoformat()
            for seq, data, subject in fresh:
                if data is None:
                    continue
                try:
                    events.append((seq, Event.from_json(data)))
                except Exception as exc:  # noqa: BLE001 - a poison message is recorded, never blocks the stream
                    rejects.append({"stream_seq": seq, "subject": subject, "error": str(exc)[:500], "rejected_at": now})
            missing = {p.table for e in events for p in self.projections.get(e[1].type, ())} - set(self.tables)
            if missing:
                raise ConfigurationError(
                    f"warehouse tables {sorted(missing)} are not set up", hint="open with owner_url"
                )
            changes = fold(
                ((e.type, e.tenant_id, e.payload, e.occurred_at.isoformat()) for _, e in events),
                self.projections,
                {n: t.key for n, t in self.tables.items()},
            )
            result.rows = apply_changes(self.duck, self.tables, changes)
            if events:
                rows = [
                    {
                        "stream_seq": seq,
                        "id": str(e.id),
                        "type": e.type,
                        "schema_version": e.schema_version,
                        "tenant_id": e.tenant_id,
                        "aggregate_type": e.aggregate_type,
                        "aggregate_id": e.aggregate_id,
                        "occurred_at": e.occurred_at.isoformat(),
                        "payload": _redacted(e),
                        "loaded_at": now,
                    }
                    for seq, e in events
                ]
                insert_arrow(self.duck, "pavedroad_meta.events", _EVENT_COLUMNS, arrow_batch(_EVENT_COLUMNS, rows))
            if rejects:
                insert_arrow(
                    self.duck, "pavedroad_meta.rejects", _REJECT_COLUMNS, arrow_batch(_REJECT_COLUMNS, rejects)
                )
            if fresh:
                self.set_offset(max(m[0] for m in fresh))
            self.duck.execute("COMMIT")
        except BaseException:
            self.duck.execute("ROLLBACK")
            raise
        result.loaded, result.rejected = len(events), len(rejects)
        result.offset = max(offset, *(m[0] for m in fresh)) if fresh else offset
        result.event_ids = [str(e.id) for _, e in events]
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
