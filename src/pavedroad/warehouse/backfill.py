"""Backfill: a warehouse that has loaded nothing while Postgres holds data is rebuilt from Postgres.

Rows bulk-loaded into Postgres (``pavedroad seed``, an import) produce no events, so the sink alone would
leave the warehouse empty until new writes arrive, and a DuckDB report would answer "no rows" in silence.
The workers call this before starting the sink. A warehouse that has loaded anything (offset above 0, or
rows in any event-projected table) is left to the sink: only ``pavedroad warehouse rebuild`` replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg
import structlog

from pavedroad.events import EventsConfig
from pavedroad.warehouse.load import _first, _q
from pavedroad.warehouse.projection import Projection
from pavedroad.warehouse.rebuild import rebuild_from_postgres
from pavedroad.warehouse.warehouse import Warehouse

__all__ = ["backfill_if_empty"]

_log = structlog.get_logger("pavedroad.warehouse.backfill")


def _projected(warehouse: Warehouse) -> list[str]:
    return sorted({p.table for ops in warehouse.projections.values() for p in ops} & set(warehouse.tables))


def _is_empty(warehouse: Warehouse) -> bool:
    if warehouse.offset() > 0:
        return False
    for name in _projected(warehouse):
        if _first(warehouse.duck.execute(f"SELECT 1 FROM {_q(name)} LIMIT 1").fetchall()):
            return False
    return True


def _postgres_has_rows(owner_url: str, tables: list[str]) -> bool:
    with psycopg.connect(owner_url) as conn:
        return any(conn.execute(f"SELECT 1 FROM {_q(name)} LIMIT 1").fetchone() for name in tables)


def backfill_if_empty(
    path: Path | str,
    owner_url: str,
    *,
    nats_url: str | None,
    table_names: Sequence[str],
    projections: Mapping[str, Sequence[Projection]],
    config: EventsConfig | None = None,
) -> dict[str, int] | None:
    """Rebuild ``path`` from Postgres when it has loaded nothing and Postgres has rows; return the counts
    copied per table (with ``offset``, the stream sequence the sink resumes after), or None if left alone."""
    config = config or EventsConfig()
    with Warehouse.open(
        path, owner_url=owner_url, table_names=table_names, projections=projections, stream=config.stream
    ) as warehouse:
        if not _is_empty(warehouse) or not _postgres_has_rows(owner_url, _projected(warehouse)):
            return None
        counts = rebuild_from_postgres(warehouse, owner_url, nats_url=nats_url, config=config)
    _log.info(
        "the warehouse had loaded nothing while Postgres has rows; rebuilt it from Postgres",
        tables=len(counts) - 1,
        rows=sum(n for name, n in counts.items() if name != "offset"),
        offset=counts["offset"],
    )
    return counts
