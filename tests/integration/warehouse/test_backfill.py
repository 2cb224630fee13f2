"""Seeded rows reach the warehouse: a warehouse that has loaded nothing is rebuilt from Postgres before
the sink starts, and one that has loaded something is left to the sink."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg

from pavedroad.events import EventsConfig
from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS
from pavedroad.recruiting.generator import seed
from pavedroad.testing import TestDatabase
from pavedroad.warehouse.backfill import backfill_if_empty


def _count(path: Path, table: str) -> int:
    with duckdb.connect(str(path)) as duck:
        row = duck.execute(f'select count(*) from "{table}"').fetchone()
    return int(row[0]) if row else 0


def _backfill(path: Path, database: TestDatabase, nats_url: str, config: EventsConfig) -> dict[str, int] | None:
    return backfill_if_empty(path, database.owner_url, nats_url=nats_url, table_names=MIRRORED_TABLES,
                             projections=PROJECTIONS, config=config)  # fmt: skip


def test_seeded_rows_reach_an_empty_warehouse(
    database: TestDatabase, nats_url: str, events_config: EventsConfig, tmp_path: Path
) -> None:
    seed(database.owner_url, applications=60, tenants=2, seed=3, progress=False)
    with psycopg.connect(database.owner_url) as conn:
        row = conn.execute("select count(*) from applications").fetchone()
    assert row is not None
    path = tmp_path / "warehouse.duckdb"

    counts = _backfill(path, database, nats_url, events_config)

    assert counts is not None
    assert counts["applications"] == row[0] == _count(path, "applications")
    assert _backfill(path, database, nats_url, events_config) is None  # loaded: the sink's from here


def test_an_empty_database_leaves_the_warehouse_alone(
    database: TestDatabase, nats_url: str, events_config: EventsConfig, tmp_path: Path
) -> None:
    assert _backfill(tmp_path / "warehouse.duckdb", database, nats_url, events_config) is None
