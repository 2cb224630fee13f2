"""Drivers that attach the database's plan to an explanation: Postgres through ``tenancy.atransaction``
(row-level security on, the principal's tenant) or DuckDB.

Guarantees: ``aexplain`` (sync facade ``explain``) explains a principal's query through a ``QueryGuard``
(the same row rules and field access as ``arun``; estimates hidden), so an explanation never describes
rows the query itself would not return. ``EXPLAIN`` (and ``EXPLAIN ANALYZE``, which *runs* the query)
executes inside a savepoint that is always rolled back, in a transaction scoped to the principal's
tenant, with the session time zone and statement timeout ``arun`` uses; so explaining never writes and
never sees another tenant's rows. The ``*_unrestricted`` drivers skip the guard (owner tools). Every
driver takes the ``RunOptions`` the run paths take.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.query import (
    CompiledQuery,
    Compiler,
    Dialect,
    InternalCompilerError,
    QueryGuard,
    RunOptions,
    SemanticModel,
    TenantSchema,
    aload_tenant_schema,
    db_query_error,
)
from pavedroad.querytools.dbplan import DbPlan, from_duckdb_profile, from_postgres, without_estimates
from pavedroad.querytools.explain import Explanation, explain_trace
from pavedroad.querytools.trace import trace_compile
from pavedroad.tenancy import Principal, atransaction, sync_facade

__all__ = [
    "aexplain",
    "aexplain_unrestricted",
    "aexplain_unrestricted_in",
    "explain",
    "explain_duckdb_unrestricted",
    "explain_sql",
    "explain_unrestricted",
]

_SESSION = "select set_config('TimeZone', %s, true), set_config('statement_timeout', %s, true)"


def explain_sql(sql: str, analyze: bool) -> str:
    """``EXPLAIN (FORMAT JSON[, ANALYZE, BUFFERS]) <sql>``: the options are a fixed table, never input."""
    return f"EXPLAIN ({'ANALYZE, BUFFERS, ' if analyze else ''}FORMAT JSON) {sql}"


def _compile(  # noqa: PLR0917 - a private helper with one caller shape
    query: str | Mapping[str, Any], schema: TenantSchema, role: str, dialect: Dialect, model: SemanticModel,
    options: RunOptions, shown: str | None,
) -> tuple[Explanation, CompiledQuery]:  # fmt: skip
    q = query if isinstance(query, str) else dict(query)
    trace = trace_compile(q, model=model, schema=schema, role=role, dialect=dialect, policy=options.policy,
                          limits=options.limits)  # fmt: skip
    compiled = Compiler(size=1).compile(q, model=model, schema=schema, role=role, dialect=dialect,
                                        policy=options.policy, limits=options.limits, params=options.params,
                                        now=options.now)  # fmt: skip
    text = shown if shown is not None else q if isinstance(q, str) else json.dumps(q)
    return explain_trace(trace, query=text, tenant=schema.tenant_id, params=compiled.params), compiled


async def aexplain(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    guard: QueryGuard,
    options: RunOptions = RunOptions(),
    analyze: bool = False,
    duckdb: Any = None,
) -> Explanation:
    """Explain ``query`` for ``principal`` under ``guard`` (the service's path); ``analyze`` runs it,
    rolled back, counting only the rows the caller may read (and is audited with ``options.request_id``);
    ``duckdb`` plans on that connection."""
    out = await guard.aexplain(pool, principal, query, model=model, options=options, analyze=analyze, duckdb=duckdb)
    if not isinstance(out, Explanation):
        raise TypeError(f"{type(guard).__name__}.aexplain returned {type(out).__name__}, not an Explanation")
    return out


async def aexplain_unrestricted_in(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
    schema: TenantSchema | None = None,
    analyze: bool = False,
    estimates: bool = True,
    shown: str | None = None,
) -> Explanation:
    """Explain inside the caller's tenant transaction, no guard (the guard's driver); ``estimates=False``
    drops the planner's estimates, ``shown`` is the query text the explanation reports."""
    limits = options.limits
    schema = schema or await aload_tenant_schema(conn, principal.tenant_id)
    out, compiled = _compile(query, schema, principal.role.value, "postgres", model, options, shown)
    async with conn.transaction(force_rollback=True):
        await conn.execute(_SESSION, (schema.time_zone, str(limits.statement_timeout_ms)))
        try:
            cur = await conn.execute(explain_sql(compiled.sql, analyze), compiled.params)
            row = await cur.fetchone()
        except psycopg.Error as exc:
            raise db_query_error(exc, limits) from None
    if row is None:
        raise InternalCompilerError("EXPLAIN returned no plan")
    plan = from_postgres(row[0])
    return _attach(out, plan if estimates else without_estimates(plan))


async def aexplain_unrestricted(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
    analyze: bool = False,
) -> Explanation:
    """Explain with no row rules and the planner's estimates: owner use only (principals: ``aexplain``)."""
    async with atransaction(pool, principal) as conn:
        return await aexplain_unrestricted_in(conn, principal, query, model=model, options=options, analyze=analyze)


explain = sync_facade(aexplain)
explain_unrestricted = sync_facade(aexplain_unrestricted)


def _attach(out: Explanation, plan: DbPlan) -> Explanation:
    out.db = plan
    off = plan.misestimates()
    if off:
        tables = sorted({n.relation for n in off if n.relation}) or ["the tables involved"]
        out.notes.append(f"{len(off)} plan nodes estimate rows 10x or more off the actual count: statistics may be"
                         f" stale (ANALYZE {', '.join(tables)}) or the predicate hard to estimate")  # fmt: skip
    if plan.total_cost is None:
        out.notes.append("planner estimates are hidden: they come from statistics over every tenant's rows")
    return out


def explain_duckdb_unrestricted(
    con: Any,
    schema: TenantSchema,
    role: str,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
    analyze: bool = False,
    estimates: bool = True,
    shown: str | None = None,
) -> Explanation:
    """Explain on DuckDB (a connection holding copies of the tables), no guard; the plan needs
    ``analyze``, because DuckDB's profiler is what reports per-operator cardinalities and times."""
    out, compiled = _compile(query, schema, role, "duckdb", model, options, shown)
    if not analyze:
        out.notes.append("DuckDB's operator tree comes from its profiler: add --analyze to see it")
        return out
    con.execute("PRAGMA enable_profiling='no_output'")
    con.execute("SET profiling_mode='detailed'")
    try:
        con.execute(compiled.sql, compiled.params).fetchall()
        doc = json.loads(con.get_profiling_information(format="json"))
    finally:
        con.execute("PRAGMA disable_profiling")
    plan: DbPlan = from_duckdb_profile(doc)
    return _attach(out, plan if estimates else without_estimates(plan))
