"""Warehouse: a DuckDB mirror of the operational tables, fed by events in columnar micro-batches.

One writer process owns the file (``run_sink`` or a ``Warehouse``); readers go through it or through the
date-partitioned Parquet export. Tables have the same names and columns as in Postgres (with
``tenant_id``), so the query compiler can target ``duckdb`` with the same semantic model.
"""

from pavedroad.warehouse.backfill import backfill_if_empty
from pavedroad.warehouse.export import export_parquet, partition_column
from pavedroad.warehouse.projection import Const, Insert, Projection, TableChanges, Update, check_projections, fold
from pavedroad.warehouse.rebuild import copy_tables, rebuild_from_postgres, refresh_dimensions, replay_from_stream
from pavedroad.warehouse.schema import Column, Table, create_sql, introspect
from pavedroad.warehouse.sink import SINK_CONSUMER, SinkStats, run_sink, run_sink_once
from pavedroad.warehouse.warehouse import LoadResult, Warehouse

__all__ = [
    "SINK_CONSUMER",
    "Column",
    "Const",
    "Insert",
    "LoadResult",
    "Projection",
    "SinkStats",
    "Table",
    "TableChanges",
    "Update",
    "Warehouse",
    "backfill_if_empty",
    "check_projections",
    "copy_tables",
    "create_sql",
    "export_parquet",
    "fold",
    "introspect",
    "partition_column",
    "rebuild_from_postgres",
    "refresh_dimensions",
    "replay_from_stream",
    "run_sink",
    "run_sink_once",
]
