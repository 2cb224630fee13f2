"""Backfill and rebuild: the warehouse from Postgres history, or from the stream.

``rebuild_from_postgres`` reads the stream's last sequence S first, then copies every mirrored table in
one REPEATABLE READ snapshot, and stores S as the offset. Every event at or below S was committed
before the snapshot, so it is in it; events after S are applied on top by the sink, and applying an
event whose effect is already present changes nothing (keyed, last-write-wins). ``replay_from_stream``
re-applies the stream from a sequence, in order, through the same loader the sink uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import nats.errors
import psycopg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from pavedroad.events import EventsConfig, connect_nats, ensure_streams, stream_last_seq
from pavedroad.warehouse.load import _first, _q
from pavedroad.warehouse.schema import Table
from pavedroad.warehouse.warehouse import Warehouse

__all__ = ["Progress", "copy_tables", "rebuild_from_postgres", "refresh_dimensions", "replay_from_stream"]

Progress = Callable[[str, int, int], None]  # (what, done, total)


def _copy_table(pg: psycopg.Connection, warehouse: Warehouse, table: Table, folder: Path) -> int:
    cols = ", ".join(_q(c.name) for c in table.columns)
    path = folder / f"{table.name}.csv"
    with (
        path.open("wb") as fh,
        pg.cursor().copy(f"COPY (SELECT {cols} FROM {_q(table.name)}) TO STDOUT (FORMAT csv)") as cp,
    ):
        for chunk in cp:
            fh.write(chunk)
    spec = "{" + ", ".join(f"'{c.name}': 'VARCHAR'" for c in table.columns) + "}"
    casts = ", ".join(f"CAST({_q(c.name)} AS {c.duck_type})" for c in table.columns)
    duck = warehouse.duck
    duck.execute(f"DELETE FROM {_q(table.name)}")
    literal = str(path).replace("'", "''")
    duck.execute(
        f"INSERT INTO {_q(table.name)} ({cols}) SELECT {casts} FROM read_csv('{literal}', header = false,"
        f" columns = {spec}, quote = '\"', escape = '\"', auto_detect = false, allow_quoted_nulls = false)"
    )
    row = _first(duck.execute(f"SELECT count(*) FROM {_q(table.name)}").fetchall())
    path.unlink()
    return int(row[0]) if row else 0


def copy_tables(
    warehouse: Warehouse,
    owner_url: str,
    names: Sequence[str],
    *,
    progress: Progress | None = None,
    offset: int | None = None,
) -> dict[str, int]:
    """Replace the named mirror tables with Postgres' rows (one snapshot, one DuckDB transaction)."""
    counts: dict[str, int] = {}
    with psycopg.connect(owner_url) as pg, tempfile.TemporaryDirectory(prefix="pavedroad-wh-") as tmp:
        pg.execute("set transaction isolation level repeatable read, read only")
        pg.execute("set timezone to 'UTC'")
        warehouse.duck.execute("BEGIN TRANSACTION")
        try:
            for i, name in enumerate(names):
                counts[name] = _copy_table(pg, warehouse, warehouse.tables[name], Path(tmp))
                if progress is not None:
                    progress(name, i + 1, len(names))
            if offset is not None:
                warehouse.set_offset(offset)
            warehouse.duck.execute("COMMIT")
        except BaseException:
            warehouse.duck.execute("ROLLBACK")
            raise
    return counts


def refresh_dimensions(warehouse: Warehouse, owner_url: str) -> dict[str, int]:
    """Re-copy the tables no event projects into (jobs, stages, …): they change outside the stream."""
    projected = {p.table for ops in warehouse.projections.values() for p in ops}
    return copy_tables(warehouse, owner_url, [n for n in warehouse.tables if n not in projected])


def rebuild_from_postgres(
    warehouse: Warehouse,
    owner_url: str,
    *,
    nats_url: str | None,
    config: EventsConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Every mirrored table from Postgres; the offset becomes the stream's last sequence (0 without NATS)."""
    config = config or EventsConfig()
    last, created = asyncio.run(_last_seq(nats_url, config)) if nats_url else (0, None)
    counts = copy_tables(warehouse, owner_url, list(warehouse.tables), progress=progress, offset=last)
    if created is not None:  # the offset counts in this incarnation of the stream
        warehouse.adopt_stream(created)
    counts["offset"] = last
    return counts


async def _last_seq(nats_url: str, config: EventsConfig) -> tuple[int, str]:
    nc = await connect_nats(nats_url, name="warehouse-rebuild")
    try:
        js = nc.jetstream()
        await ensure_streams(js, config)
        info = await js.stream_info(config.stream)
        return int(info.state.last_seq or 0), info.created.isoformat() if info.created else ""
    finally:
        await nc.close()


async def replay_from_stream(
    warehouse: Warehouse,
    nats_url: str,
    *,
    from_seq: int = 1,
    config: EventsConfig | None = None,
    progress: Progress | None = None,
    batch: int = 5000,
) -> int:
    """Re-apply the stream from ``from_seq`` to its current end; return events loaded."""
    config = config or EventsConfig()
    if from_seq <= 1:
        await asyncio.to_thread(_clear, warehouse)
    else:
        await asyncio.to_thread(_rewind, warehouse, from_seq)
    nc = await connect_nats(nats_url, name="warehouse-replay")
    loaded = 0
    try:
        js = nc.jetstream()
        await ensure_streams(js, config)
        last = await stream_last_seq(js, config.stream)
        if last < from_seq:
            return 0
        sub = await js.pull_subscribe(
            config.subjects,
            stream=config.stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=from_seq,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=30.0,
            ),
        )
        done = from_seq - 1
        while done < last:
            try:
                msgs = await sub.fetch(batch, timeout=2.0)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            rows = [(m.metadata.sequence.stream, m.data, m.subject) for m in msgs]
            result = await asyncio.to_thread(warehouse.load, rows)
            loaded += result.loaded
            done = max(done, rows[-1][0])
            if progress is not None:
                progress("replay", done - from_seq + 1, last - from_seq + 1)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    finally:
        await nc.close()
    return loaded


def _clear(warehouse: Warehouse) -> None:
    """Empty the event-projected tables and the event log before a replay from the start."""
    projected = {p.table for ops in warehouse.projections.values() for p in ops}
    warehouse.duck.execute("BEGIN TRANSACTION")
    for name in sorted(projected & set(warehouse.tables)):
        warehouse.duck.execute(f"DELETE FROM {_q(name)}")
    warehouse.duck.execute("DELETE FROM pavedroad_meta.events")
    warehouse.set_offset(0)
    warehouse.duck.execute("COMMIT")


def _rewind(warehouse: Warehouse, from_seq: int) -> None:
    """Forget loading at and after ``from_seq`` (log rows and offset) so those events load again."""
    warehouse.duck.execute("BEGIN TRANSACTION")
    warehouse.duck.execute("DELETE FROM pavedroad_meta.events WHERE stream_seq >= ?", [from_seq])
    warehouse.set_offset(min(warehouse.offset(), from_seq - 1))
    warehouse.duck.execute("COMMIT")
