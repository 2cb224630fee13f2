"""Postgres I/O for slices: merge-upsert drained rows, read window counts, top routes and burndown series.

Guarantees: ``aflush_rows`` merges rows into ``pavedroad_meta.slo_slices`` so that N processes flushing
cells with the same key produce one row whose counts are the sums and whose sketch is the merge —
exactly what one process would have recorded; rows are written in key order so concurrent flushers
never deadlock. Reads aggregate in SQL (``Σ`` of counts, merged sketches); every value is a bound
parameter. Writing is async only (the service's flusher); reads are built as ``(sql, params)`` so the
sync readers (CLI, evaluator) and async ones (service) share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pavedroad.slo.budget import Counts
from pavedroad.slo.recorder import SliceRow
from pavedroad.slo.sketch import LogSketch, key_of
from pavedroad.slo.spec import SLO

__all__ = [
    "PostgresSliceSource",
    "TopRow",
    "aflush_rows",
    "burndown_query",
    "counts_query",
    "decode_counts",
    "decode_top",
    "per_slice_query",
    "prune",
    "top_query",
]

Query = tuple[str, list[Any]]

UPSERT = """
INSERT INTO pavedroad_meta.slo_slices AS s
    (service, kind, slice_start, route, method, status_class, version, variant, tenant_id, slice_seconds,
     total, bad, latency_sum, latency_min, latency_max, sketch)
VALUES (%s, %s, to_timestamp(%s), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (service, kind, slice_start, route, method, status_class, version, variant, tenant_id) DO UPDATE SET
    total = s.total + excluded.total,
    bad = s.bad + excluded.bad,
    latency_sum = s.latency_sum + excluded.latency_sum,
    latency_min = least(s.latency_min, excluded.latency_min),
    latency_max = greatest(s.latency_max, excluded.latency_max),
    sketch = pavedroad_meta.slo_sketch_merge(s.sketch, excluded.sketch),
    updated_at = now()
"""


def _params(rows: Sequence[SliceRow]) -> list[tuple[Any, ...]]:
    ordered = sorted(
        rows,
        key=lambda r: (
            r.service,
            r.kind,
            r.slice_start,
            r.route,
            r.method,
            r.status_class,
            r.version,
            r.variant,
            r.tenant,
        ),
    )
    return [
        (
            r.service,
            r.kind,
            r.slice_start,
            r.route,
            r.method,
            r.status_class,
            r.version,
            r.variant,
            r.tenant,
            r.slice_seconds,
            r.sketch.count,
            r.bad,
            r.sketch.sum,
            r.sketch.min if r.sketch.count else 0.0,
            r.sketch.max,
            Jsonb(r.sketch.to_bins()),
        )
        for r in ordered
        if r.sketch.count
    ]


async def aflush_rows(conn: psycopg.AsyncConnection, rows: Sequence[SliceRow]) -> int:
    """Merge ``rows`` in one transaction; return how many were written (async only: the flusher's path)."""
    params = _params(rows)
    if params:
        async with conn.transaction(), conn.cursor() as cur:
            await cur.executemany(UPSERT, params)
    return len(params)


def _bad_expr(slo: SLO, params: list[Any]) -> str:
    assert slo.sli is not None
    if slo.sli.kind == "availability":
        return "bad"
    assert slo.sli.threshold_s is not None
    params.append(key_of(slo.sli.threshold_s))
    return "(total - pavedroad_meta.slo_sketch_count_le(sketch, %s))"


def _where(slo: SLO, since: float, until: float, params: list[Any]) -> str:
    assert slo.sli is not None
    clauses = ["service = %s", "kind = %s", "slice_start > to_timestamp(%s)", "slice_start <= to_timestamp(%s)"]
    params.extend([slo.service, slo.sli.source, since, until])
    if slo.sli.route is not None:
        clauses.append("route = %s")
        params.append(slo.sli.route)
    if slo.sli.route_prefix is not None:
        clauses.append("starts_with(route, %s)")
        params.append(slo.sli.route_prefix)
    if slo.sli.method is not None:
        clauses.append("method = %s")
        params.append(slo.sli.method)
    return " AND ".join(clauses)


def counts_query(slo: SLO, now: float, windows_s: Sequence[float]) -> Query:
    """Bad/total per window (and per tenant for per-tenant SLOs) in one pass over the longest window."""
    select_params: list[Any] = []
    columns = []
    for w in windows_s:
        bad = _bad_expr(slo, select_params)
        select_params.append(now - w)
        columns.append(f"coalesce(sum({bad}) FILTER (WHERE slice_start > to_timestamp(%s)), 0)::bigint")
        select_params.append(now - w)
        columns.append("coalesce(sum(total) FILTER (WHERE slice_start > to_timestamp(%s)), 0)::bigint")
    where_params: list[Any] = []
    where = _where(slo, now - max(windows_s), now, where_params)
    grouping = "GROUP BY GROUPING SETS ((), (tenant_id))" if slo.per_tenant else ""
    tenant = "CASE WHEN GROUPING(tenant_id) = 1 THEN NULL ELSE tenant_id END" if slo.per_tenant else "NULL"
    text = f"SELECT {tenant}, {', '.join(columns)} FROM pavedroad_meta.slo_slices WHERE {where} {grouping}"
    return text, select_params + where_params


def per_slice_query(slo: SLO, since: float, until: float) -> Query:
    """Bad/total per slice start over ``(since, until]`` (and per tenant for per-tenant SLOs).

    Rows: ``(epoch seconds, tenant or NULL for the whole service, bad, total)``.
    """
    select_params: list[Any] = []
    bad = _bad_expr(slo, select_params)
    where_params: list[Any] = []
    where = _where(slo, since, until, where_params)
    if slo.per_tenant:
        tenant = "CASE WHEN GROUPING(tenant_id) = 1 THEN NULL ELSE tenant_id END"
        group = "GROUP BY GROUPING SETS ((slice_start), (slice_start, tenant_id))"
    else:
        tenant, group = "NULL", "GROUP BY slice_start"
    text = (
        f"SELECT extract(epoch FROM slice_start)::float8, {tenant}, sum({bad})::bigint, sum(total)::bigint"
        f" FROM pavedroad_meta.slo_slices WHERE {where} {group}"
    )
    return text, select_params + where_params


def decode_counts(rows: Sequence[Sequence[Any]], windows_s: Sequence[float]) -> dict[str, dict[float, Counts]]:
    """``counts_query`` rows as ``{tenant: {window: Counts}}`` ("" = whole service; no-principal traffic
    only counts there)."""
    out: dict[str, dict[float, Counts]] = {"": {w: Counts() for w in windows_s}}
    for row in rows:
        tenant = "" if row[0] is None else str(row[0])
        if row[0] is not None and not tenant:
            continue
        out[tenant] = {w: Counts(int(row[1 + 2 * i]), int(row[2 + 2 * i])) for i, w in enumerate(windows_s)}
    return out


class PostgresSliceSource:
    """A ``SliceSource`` over the merged slices (a sync connection factory, e.g. ``pool.connection``)."""

    def __init__(self, connect: Any) -> None:
        self._connect = connect

    def window_counts(self, slo: SLO, now: float, windows_s: Sequence[float]) -> dict[str, dict[float, Counts]]:
        text, params = counts_query(slo, now, windows_s)
        with self._connect() as conn:
            rows = conn.execute(text, params).fetchall()
        return decode_counts(rows, windows_s)


@dataclass(frozen=True, slots=True)
class TopRow:
    """One route (method, tenant) aggregated over a window: counts and the merged latency sketch."""

    service: str
    route: str
    method: str
    tenant: str
    total: int
    bad: int
    sketch: LogSketch


def top_query(
    since: float,
    until: float,
    *,
    service: str | None = None,
    kind: str = "http",
    tenant: str | None = None,
    by_tenant: bool = False,
    route_prefix: str | None = None,
) -> Query:
    """Per route/method (and tenant) totals and merged sketches over ``(since, until]``; with
    ``route_prefix``, only the routes whose template starts with it (e.g. the API's ``/v1/``)."""
    clauses = ["kind = %s", "slice_start > to_timestamp(%s)", "slice_start <= to_timestamp(%s)"]
    params: list[Any] = [kind, since, until]
    if service is not None:
        clauses.append("service = %s")
        params.append(service)
    if route_prefix is not None:
        clauses.append("starts_with(route, %s)")
        params.append(route_prefix)
    if tenant is not None:
        clauses.append("tenant_id = %s")
        params.append(tenant)
    tenant_col = "tenant_id" if by_tenant or tenant is not None else "''"
    group = "service, route, method" + (", tenant_id" if tenant_col == "tenant_id" else "")
    text = (
        f"SELECT service, route, method, {tenant_col}, sum(total)::bigint, sum(bad)::bigint, sum(latency_sum),"
        " min(latency_min), max(latency_max), pavedroad_meta.slo_sketch_sum(sketch)"
        f" FROM pavedroad_meta.slo_slices WHERE {' AND '.join(clauses)} GROUP BY {group}"
    )
    return text, params


def decode_top(rows: Sequence[Sequence[Any]]) -> list[TopRow]:
    """``top_query`` rows as ``TopRow`` with rebuilt sketches."""
    return [
        TopRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            int(r[4]),
            int(r[5]),
            LogSketch.from_bins(r[9], total=int(r[4]), total_sum=float(r[6]), low=r[7], high=r[8]),
        )
        for r in rows
    ]


def burndown_query(slo: SLO, since: float, until: float, step_s: float, tenant: str | None = None) -> Query:
    """Bad/total per ``step_s`` bucket over ``(since, until]`` for one SLO (optionally one tenant)."""
    select_params: list[Any] = [step_s, step_s]
    bad = _bad_expr(slo, select_params)
    where_params: list[Any] = []
    where = _where(slo, since, until, where_params)
    if tenant is not None:
        where += " AND tenant_id = %s"
        where_params.append(tenant)
    text = (
        "SELECT floor(extract(epoch FROM slice_start) / %s) * %s AS bucket,"
        f" sum({bad})::bigint, sum(total)::bigint FROM pavedroad_meta.slo_slices WHERE {where}"
        " GROUP BY bucket ORDER BY bucket"
    )
    return text, select_params + where_params


def prune(conn: psycopg.Connection, older_than: float) -> int:
    """Delete slices that started before ``older_than`` (epoch seconds); return how many."""
    with conn.transaction():
        cur = conn.execute("DELETE FROM pavedroad_meta.slo_slices WHERE slice_start < to_timestamp(%s)", (older_than,))
    return cur.rowcount
