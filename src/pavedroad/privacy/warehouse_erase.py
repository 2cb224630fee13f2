"""Erasure in the analytics copy: the same anonymisation applied to a DuckDB warehouse file.

Guarantee: ``erase_in_warehouse`` follows the subject's foreign-key graph as read from Postgres (the
warehouse mirrors the same tables and columns), and overwrites, for that subject's rows only, every
column ``erase_subject`` overwrites — skipping tables and columns the warehouse does not hold. Run it
after ``erase_subject`` (ids are kept, so the graph still finds the rows); ``erasures`` lists every
erased subject, so a rebuilt warehouse can be brought back in line with ``reapply_erasures``.
"""

from __future__ import annotations

from typing import Any

import psycopg

from pavedroad.privacy.dsr import targets_for
from pavedroad.privacy.registry import Registry
from pavedroad.privacy.subjects import subject_graph

__all__ = ["erase_in_warehouse", "reapply_erasures"]


def _duck_columns(duck: Any) -> dict[str, set[str]]:
    rows = duck.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def erase_in_warehouse(
    duck: Any, pg: psycopg.Connection, registry: Registry, *, tenant: str, table: str, subject_id: int
) -> dict[str, int]:
    """Rows changed per warehouse table for one subject (``duck``: a DuckDB connection, the writer)."""
    import duckdb  # the caller holds a DuckDB connection; importing the privacy block must not load it

    present = _duck_columns(duck)
    changed: dict[str, int] = {}
    for linked in subject_graph(pg, table):
        columns = present.get(linked.name)
        if not columns:
            continue
        targets = [(c, v) for c, v in targets_for(linked, registry) if c in columns]
        if not targets:
            continue
        assignments = ", ".join(f'"{c}" = {v.as_string(pg)}' for c, v in targets)
        predicate = linked.predicate.as_string(pg).replace("%(subject)s", "$subject")
        where = f'"{linked.name}"."tenant_id" = $tenant and {predicate}'
        args = {"tenant": tenant, "subject": subject_id}
        try:
            count = duck.execute(f'select count(*) from "{linked.name}" where {where}', args).fetchone()[0]
        except duckdb.CatalogException:
            continue  # the path to this table runs through one the warehouse does not mirror
        duck.execute(f'update "{linked.name}" set {assignments} where {where}', args)
        changed[linked.name] = int(count)
    return changed


def reapply_erasures(duck: Any, pg: psycopg.Connection, registry: Registry) -> int:
    """Apply every recorded erasure to ``duck`` again (after a rebuild or replay); returns how many."""
    subjects = pg.execute("select tenant_id, subject_entity, subject_id from erasures order by erased_at").fetchall()
    for tenant, table, subject_id in subjects:
        erase_in_warehouse(duck, pg, registry, tenant=tenant, table=table, subject_id=subject_id)
    return len(subjects)
