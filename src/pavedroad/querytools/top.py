"""``pavedroad query top``: the query shapes that cost the most, across tenants, from the shape log,
joined with the database's own view (``pg_stat_statements``) where the extension is installed.

This is an operator's view over every tenant, so it reads through the owner connection (which the
embedded server's superuser, or a role with BYPASSRLS, can do); the service itself never runs it.
Guarantee: the ranking SQL is fixed (the order column comes from a table, never from input) and the
explain hint it prints is a runnable command line in which the shape's lifted literals are parameters.
"""

from __future__ import annotations

import re
import shlex
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

__all__ = ["explain_command", "pg_form", "top_shapes"]

ORDER = {"p99": "p99_ms", "total": "total_ms", "p50": "p50_ms", "calls": "calls"}

_TOP = """
select shape_id, min(shape) as shape, min(sql) as sql, count(distinct tenant_id) as tenants, count(*) as calls,
       percentile_cont(0.5) within group (order by exec_us + compile_us) / 1000.0 as p50_ms,
       percentile_cont(0.99) within group (order by exec_us + compile_us) / 1000.0 as p99_ms,
       sum(exec_us + compile_us) / 1000.0 as total_ms, avg(compile_us)::float8 as compile_us_avg,
       avg(row_count)::int as rows_avg, mode() within group (order by tenant_id) as top_tenant,
       (array_agg(role order by recorded_at desc))[1] as role
from query_shape_log
where recorded_at >= %(since)s and (%(tenant)s::text is null or tenant_id = %(tenant)s)
group by shape_id
order by {order} desc
limit %(limit)s
"""

_PGSS = """
select query, calls, mean_exec_time, shared_blks_hit, shared_blks_read from pg_stat_statements
where dbid = (select oid from pg_database where datname = current_database())
"""

_NAMED = re.compile(r"%\((\w+)\)s")
_LIFTED = re.compile(r"\?([sif])\b")


def pg_form(template: str) -> str:
    """The statement text Postgres sees for a compiled template (psycopg's ``%(name)s`` become ``$n``, one
    number per name in order of first appearance), as ``pg_stat_statements`` records it."""
    numbers: dict[str, int] = {}

    def sub(m: re.Match[str]) -> str:
        return f"${numbers.setdefault(m.group(1), len(numbers) + 1)}"

    return _NAMED.sub(sub, template)


def explain_command(shape: str, tenant: str, role: str = "admin") -> str:
    """A ``pavedroad query explain`` command line for a shape: each lifted literal becomes ``$vN``."""
    count = 0
    kinds: list[str] = []

    def sub(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        kinds.append(m.group(1))
        return f"$v{count}"

    text = _LIFTED.sub(sub, shape)
    params = " ".join(f"--param v{i}=<{'text' if k == 's' else 'number'}>" for i, k in enumerate(kinds, start=1))
    cmd = f"pavedroad query explain {shlex.quote(text)} --tenant {shlex.quote(tenant)} --role {role} --analyze"
    return f"{cmd} {params}".rstrip()


def top_shapes(
    conn: psycopg.Connection, *, by: str = "total", tenant: str | None = None, since: datetime, limit: int = 20
) -> list[dict[str, Any]]:
    """The costliest shapes since ``since`` (``by``: p99, total, p50 or calls), with pg_stat_statements
    figures (``pgss_*``, None when the extension or the statement is not there)."""
    order = ORDER[by]
    query = sql.SQL(_TOP.format(order=order))  # order: a value of ORDER, not input
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    rows = cur.execute(query, {"since": since, "tenant": tenant, "limit": limit}).fetchall()
    stats: dict[str, dict[str, Any]] = {}
    if conn.execute("select 1 from pg_extension where extname = 'pg_stat_statements'").fetchone():
        for r in cur.execute(_PGSS).fetchall():
            stats[" ".join(r["query"].split())] = r
    for r in rows:
        s = stats.get(" ".join(pg_form(r["sql"]).split()))
        r["pgss_calls"] = None if s is None else s["calls"]
        r["pgss_mean_ms"] = None if s is None else float(s["mean_exec_time"])
        r["pgss_blocks"] = None if s is None else int(s["shared_blks_hit"] + s["shared_blks_read"])
        r["explain"] = explain_command(r["shape"], r["top_tenant"], r["role"])
        for k in ("p50_ms", "p99_ms", "total_ms"):
            r[k] = float(r[k])
    return rows
