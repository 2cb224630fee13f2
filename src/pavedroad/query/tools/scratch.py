"""Plans of compiled suite queries on Postgres, as the application role under one tenant, in transactions
that are always rolled back (so scratch indexes and ``ANALYZE`` statistics vanish with them).

Guarantee: every ``EXPLAIN`` here runs after ``SET LOCAL ROLE pavedroad_app`` and the tenant context of
``tenancy`` (row-level security on, exactly as the service runs it), with the tenant's time zone; the
owner connection is only needed for DDL inside the same rolled-back transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from pavedroad.query.compiler import CompiledQuery, Compiler
from pavedroad.query.errors import InternalCompilerError, QueryError, QueryLimitError
from pavedroad.query.model import SemanticModel
from pavedroad.query.overlay import TenantSchema, load_tenant_schema
from pavedroad.query.tools.dbplan import DbPlan, from_postgres
from pavedroad.query.tools.explain_run import explain_sql
from pavedroad.query.tools.suite import SuiteQuery
from pavedroad.query.tools.trace import Trace, trace_compile
from pavedroad.tenancy import Principal, Role, set_tenant

__all__ = ["APP_ROLE", "CompiledCase", "compile_suite", "enter_tenant", "plan_all"]

APP_ROLE = "pavedroad_app"


@dataclass(frozen=True, slots=True)
class CompiledCase:
    name: str
    trace: Trace
    compiled: CompiledQuery


def enter_tenant(conn: psycopg.Connection, tenant: str, time_zone: str = "UTC") -> None:
    """Inside the current transaction: become the app role under ``tenant`` (undone by the rollback)."""
    conn.execute(f"SET LOCAL ROLE {APP_ROLE}")  # a constant, not input
    set_tenant(conn, Principal(tenant, None, Role.ADMIN))
    conn.execute("select set_config('TimeZone', %s, true)", (time_zone,))


def tenant_schema(conn: psycopg.Connection, tenant: str) -> TenantSchema:
    with conn.transaction(force_rollback=True):
        enter_tenant(conn, tenant)
        return load_tenant_schema(conn, tenant)


def compile_suite(
    conn: psycopg.Connection, tenant: str, suite: list[SuiteQuery], *, model: SemanticModel, now: datetime
) -> tuple[TenantSchema, list[CompiledCase], dict[str, str]]:
    """Every suite query compiled for ``tenant`` (admin role); the ones that do not compile, with their error."""
    schema = tenant_schema(conn, tenant)
    compiler = Compiler()
    out: list[CompiledCase] = []
    errors: dict[str, str] = {}
    for q in suite:
        try:
            trace = trace_compile(q.query, model=model, schema=schema)
            compiled = compiler.compile(q.query, model=model, schema=schema, now=now)
        except (QueryError, QueryLimitError) as exc:
            errors[q.name] = f"{exc.code} {exc.message}"
            continue
        out.append(CompiledCase(q.name, trace, compiled))
    return schema, out, errors


def plan_all(
    conn: psycopg.Connection, tenant: str, time_zone: str, cases: list[CompiledCase], *, analyze: bool = False
) -> dict[str, DbPlan]:
    """The plan of every case, in the current transaction (call inside one that will be rolled back)."""
    enter_tenant(conn, tenant, time_zone)
    out = {}
    for case in cases:
        row = conn.execute(explain_sql(case.compiled.sql, analyze), case.compiled.params).fetchone()
        if row is None:
            raise InternalCompilerError("EXPLAIN returned no row")
        out[case.name] = from_postgres(row[0])
    return out
