"""Drivers that attach the database's plan to an explanation: Postgres through ``tenancy.transaction``
(row-level security on, the principal's tenant) or DuckDB.

Guarantee: ``EXPLAIN`` (and ``EXPLAIN ANALYZE``, which *runs* the query) executes inside a savepoint that
is always rolled back, in a transaction scoped to the principal's tenant, with the session time zone and
statement timeout ``run`` uses; so explaining never writes and never sees another tenant's rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.query.compiler import CompiledQuery, Compiler
from pavedroad.query.context import Dialect, Limits
from pavedroad.query.errors import InternalCompilerError
from pavedroad.query.model import SemanticModel
from pavedroad.query.overlay import TenantSchema, aload_tenant_schema, load_tenant_schema
from pavedroad.query.ports import FieldPolicy
from pavedroad.query.run import _db_error
from pavedroad.query.tools.dbplan import DbPlan, from_duckdb_profile, from_postgres
from pavedroad.query.tools.explain import Explanation, explain_trace
from pavedroad.query.tools.trace import trace_compile
from pavedroad.tenancy import Principal, atransaction, transaction

__all__ = ["aexplain", "explain", "explain_duckdb", "explain_sql"]

_SESSION = "select set_config('TimeZone', %s, true), set_config('statement_timeout', %s, true)"


def explain_sql(sql: str, analyze: bool) -> str:
    """``EXPLAIN (FORMAT JSON[, ANALYZE, BUFFERS]) <sql>``: the options are a fixed table, never input."""
    return f"EXPLAIN ({'ANALYZE, BUFFERS, ' if analyze else ''}FORMAT JSON) {sql}"


def _compile(  # noqa: PLR0917 - a private helper with one caller shape; keywords would only add noise
    query: str | dict[str, Any], schema: TenantSchema, principal_role: str, dialect: Dialect,
    model: SemanticModel, policy: FieldPolicy | None, limits: Limits, params: dict[str, Any] | None,
    now: datetime | None,
) -> tuple[Explanation, CompiledQuery]:  # fmt: skip
    trace = trace_compile(query, model=model, schema=schema, role=principal_role, dialect=dialect,
                          policy=policy, limits=limits)  # fmt: skip
    compiled = Compiler(size=1).compile(query, model=model, schema=schema, role=principal_role, dialect=dialect,
                                        policy=policy, limits=limits, params=params, now=now)  # fmt: skip
    text = query if isinstance(query, str) else json.dumps(query)
    return explain_trace(trace, query=text, tenant=schema.tenant_id, params=compiled.params), compiled


def explain(
    pool: ConnectionPool,
    principal: Principal,
    query: str | dict[str, Any],
    *,
    model: SemanticModel,
    analyze: bool = False,
    params: dict[str, Any] | None = None,
    policy: FieldPolicy | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> Explanation:
    """Explain ``query`` for ``principal`` on Postgres; ``analyze`` runs it (rolled back) for real timings."""
    limits = limits or Limits()
    with transaction(pool, principal) as conn:
        schema = load_tenant_schema(conn, principal.tenant_id)
        out, compiled = _compile(query, schema, principal.role.value, "postgres", model, policy, limits, params, now)
        with conn.transaction(force_rollback=True):
            conn.execute(_SESSION, (schema.time_zone, str(limits.statement_timeout_ms)))
            try:
                row = conn.execute(explain_sql(compiled.sql, analyze), compiled.params).fetchone()
            except psycopg.Error as exc:
                raise _db_error(exc, limits) from None
    if row is None:
        raise InternalCompilerError("EXPLAIN returned no row")
    return _attach(out, from_postgres(row[0]))


async def aexplain(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | dict[str, Any],
    *,
    model: SemanticModel,
    analyze: bool = False,
    params: dict[str, Any] | None = None,
    policy: FieldPolicy | None = None,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> Explanation:
    """Async twin of ``explain`` (the service's path)."""
    limits = limits or Limits()
    async with atransaction(pool, principal) as conn:
        schema = await aload_tenant_schema(conn, principal.tenant_id)
        out, compiled = _compile(query, schema, principal.role.value, "postgres", model, policy, limits, params, now)
        async with conn.transaction(force_rollback=True):
            await conn.execute(_SESSION, (schema.time_zone, str(limits.statement_timeout_ms)))
            try:
                cur = await conn.execute(explain_sql(compiled.sql, analyze), compiled.params)
                row = await cur.fetchone()
            except psycopg.Error as exc:
                raise _db_error(exc, limits) from None
    if row is None:
        raise InternalCompilerError("EXPLAIN returned no row")
    return _attach(out, from_postgres(row[0]))


def _attach(out: Explanation, plan: DbPlan) -> Explanation:
    out.db = plan
    off = plan.misestimates()
    if off:
        tables = sorted({n.relation for n in off if n.relation}) or ["the tables involved"]
        out.notes.append(f"{len(off)} plan nodes estimate rows 10x or more off the actual count: statistics may be"
                         f" stale (ANALYZE {', '.join(tables)}) or the predicate hard to estimate")  # fmt: skip
    return out


def explain_duckdb(
    con: Any,
    schema: TenantSchema,
    role: str,
    query: str | dict[str, Any],
    *,
    model: SemanticModel,
    analyze: bool = False,
    params: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Explanation:
    """Explain on DuckDB (a connection holding copies of the tables); the plan needs ``analyze``, because
    DuckDB's profiler is what reports per-operator cardinalities and times."""
    out, compiled = _compile(query, schema, role, "duckdb", model, None, Limits(), params, now)
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
    out.db = plan
    return out
