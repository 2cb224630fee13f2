"""Running compiled queries: Postgres through ``tenancy.atransaction`` (RLS on), or DuckDB.

``arun`` runs a principal's query through a ``QueryGuard`` (field access, row rules, suppression, audit:
``pavedroad.privacy.Guardrails``); there is no principal-taking path around it. The drivers underneath
compile and execute with none of those: they are named ``*_unrestricted``, for the guard itself and for
owner tools, and stay inside the tenant (the compiler's scoping and RLS). Every path is async and takes one
``RunOptions``; sync code (the CLI, scripts) calls ``run``/``run_unrestricted``, generated from the async
paths by ``tenancy.sync_facade``. The compiled SQL assumes the session time zone is the tenant's (buckets, dates
and day arithmetic are in it), so the drivers set it for the duration of the query, along with the
statement timeout. List views (``page``, and lists without ``take``, which get the default page) return
``next_cursor``: an opaque token of the last row's sort key.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.query.compiler import CompiledQuery, default_compiler
from pavedroad.query.context import Column, Dialect, Limits
from pavedroad.query.errors import QueryError, QueryLimitError
from pavedroad.query.model import SemanticModel
from pavedroad.query.options import RunOptions
from pavedroad.query.overlay import TenantSchema, aload_tenant_schema
from pavedroad.query.ports import GuardedResult, QueryGuard
from pavedroad.tenancy import Principal, atransaction, sync_facade

__all__ = [
    "QueryResult",
    "arun",
    "arun_unrestricted",
    "arun_unrestricted_in",
    "decode_cursor",
    "encode_cursor",
    "run",
    "run_clickhouse_unrestricted",
    "run_duckdb_unrestricted",
    "run_unrestricted",
]


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    next_cursor: str | None
    compiled: CompiledQuery

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: columns with type and classification, rows as lists."""
        return {
            "columns": [{"name": c.name, "type": c.type, "classification": c.classification} for c in self.columns],
            "rows": [[_jsonable(v) for v in r] for r in self.rows],
            "next_cursor": self.next_cursor,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def encode_cursor(values: list[Any]) -> str:
    """An opaque keyset cursor: the sort key of the last row returned."""
    return base64.urlsafe_b64encode(json.dumps([_jsonable(v) for v in values]).encode()).decode().rstrip("=")


_AFTER = re.compile(r"\bafter\s*\$\s*([A-Za-z_][A-Za-z0-9_]*)")


def _cursor(query: str | dict[str, Any], params: dict[str, Any] | None, cursor: str | None) -> list[Any] | None:
    """The page cursor: given directly, or as the value of the ``after $name`` parameter."""
    if cursor is None and params:
        if isinstance(query, str):
            m = _AFTER.search(query)
            name = m.group(1) if m else None
        else:
            pages = [
                s["page"] for s in query.get("steps", []) if isinstance(s, dict) and isinstance(s.get("page"), dict)
            ]
            after = pages[0].get("after") if pages else None
            name = after.get("param") if isinstance(after, dict) else None
        value = params.get(name) if name else None
        cursor = value if isinstance(value, str) and value else None
    return decode_cursor(cursor) if cursor else None


def decode_cursor(cursor: str) -> list[Any]:
    """Inverse of ``encode_cursor``; a tampered cursor is a structured 400."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, json.JSONDecodeError):
        value = None
    if not isinstance(value, list):
        raise QueryError(
            "the cursor is not valid", code="Q303", hint="pass next_cursor from the previous page unchanged"
        )
    return value


def _finish(compiled: CompiledQuery, names: list[str], rows: list[tuple[Any, ...]]) -> QueryResult:
    compiled.check_row_cap(len(rows))
    visible = [i for i, c in enumerate(compiled.columns) if not c.hidden]
    next_cursor = None
    if compiled.page:
        size = compiled.params["page_limit"] - 1
        if len(rows) > size:
            rows = rows[:size]
            order = [names.index(n) for n in compiled.cursor_columns]
            next_cursor = encode_cursor([rows[-1][i] for i in order]) if rows else None
    out = [tuple(r[i] for i in visible) for r in rows]
    return QueryResult(tuple(compiled.columns[i] for i in visible), out, next_cursor, compiled)


async def arun(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    guard: QueryGuard,
    options: RunOptions = RunOptions(),
    duckdb: Any = None,
    clickhouse: Any = None,
) -> GuardedResult:
    """Run ``query`` for ``principal`` under ``guard`` — exactly what ``POST /v1/query`` applies; ``duckdb``
    (a connection holding copies of the tables) or ``clickhouse`` (a ``query.clickhouse.ClickHouseTables``)
    executes it there, while the grants, the tenant's settings and the audit event still come from and go
    to Postgres through ``pool``."""
    return await guard.arun(pool, principal, query, model=model, options=options, duckdb=duckdb,
                            clickhouse=clickhouse)  # fmt: skip


async def arun_unrestricted(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
) -> QueryResult:
    """Compile ``query`` and run it on Postgres inside ``tenancy.atransaction`` with no row rules,
    suppression or audit: owner use only (principals go through ``arun``)."""
    async with atransaction(pool, principal) as conn:
        return await arun_unrestricted_in(conn, principal, query, model=model, options=options)


async def arun_unrestricted_in(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
    schema: TenantSchema | None = None,
) -> QueryResult:
    """``arun_unrestricted`` inside a tenant transaction the caller holds (the guard's executor), so a
    caller that reads and audits in one transaction pays for one; ``schema`` saves reloading the tenant's
    custom fields when the caller has them."""
    schema = schema or await aload_tenant_schema(conn, principal.tenant_id)
    compiled = _compile(query, schema, principal.role.value, "postgres", model, options)
    limits = options.limits
    await conn.execute(_SESSION_SQL, (schema.time_zone, str(limits.statement_timeout_ms)))
    try:
        cur = await conn.execute(compiled.sql, compiled.params)
        rows = await cur.fetchall()
    except psycopg.Error as exc:
        raise db_query_error(exc, limits) from None
    names = [d.name for d in cur.description or []]
    return _finish(compiled, names, rows)


run = sync_facade(arun)
run_unrestricted = sync_facade(arun_unrestricted)


# The tenant's time zone (buckets, dates, day counts) and the statement timeout, for this transaction only.
_SESSION_SQL = "select set_config('TimeZone', %s, true), set_config('statement_timeout', %s, true)"


def _compile(  # noqa: PLR0917 - a private helper with one caller shape
    query: str | Mapping[str, Any], schema: TenantSchema, role: str, dialect: Dialect, model: SemanticModel,
    options: RunOptions,
) -> CompiledQuery:  # fmt: skip
    """One compile call for every driver: the cache, the tenant's schema, the page cursor decoded."""
    q = query if isinstance(query, str | dict) else dict(query)
    return (options.compiler or default_compiler).compile(
        q, model=model, schema=schema, role=role, dialect=dialect, policy=options.policy, limits=options.limits,
        params=options.params, cursor=_cursor(q, options.params, options.cursor), now=options.now,
    )  # fmt: skip


def db_query_error(exc: psycopg.Error, limits: Limits) -> Exception:
    """Database refusals a query can cause become structured errors; anything else propagates."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return QueryLimitError(
            f"the query ran longer than {limits.statement_timeout_ms} ms",
            code="Q405",
            hint="narrow the date range or filter, or run it against the warehouse (--target duckdb)",
        )
    if isinstance(exc, psycopg.errors.DataError):
        return QueryError(f"the query failed on the data: {exc.diag.message_primary}", code="Q501",
                          hint="a custom field may hold a value that does not fit its type")  # fmt: skip
    # Class 54 (program limit: columns, arguments, complexity) and class 42 (a statement the query's own
    # shape made invalid) are the caller's query, not an outage; 42501 (privilege) stays ours.
    state = exc.sqlstate or ""
    if state.startswith("54"):
        return QueryLimitError(f"the query exceeds a database limit: {exc.diag.message_primary}", code="Q401",
                               hint="select fewer columns or split it into smaller reports")  # fmt: skip
    if state.startswith("42") and state != "42501":
        return QueryError(f"the database refused the query: {exc.diag.message_primary}", code="Q501",
                          hint="rename or simplify the part of the query the message names")  # fmt: skip
    return exc


def run_duckdb_unrestricted(
    con: Any,
    schema: TenantSchema,
    role: str,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
) -> QueryResult:
    """Compile for DuckDB and run on ``con`` (a duckdb connection holding the same tables), with no row
    rules, suppression or audit (principals go through ``arun(..., duckdb=con)``)."""
    compiled = _compile(query, schema, role, "duckdb", model, options)
    import duckdb  # only the DuckDB path needs it; keeps `import pavedroad.query` light

    con.execute(f"SET TimeZone = '{_tz(schema.time_zone)}'")
    try:
        rel = con.sql(compiled.sql, params=compiled.params)
        names = list(rel.columns)
        rows = [tuple(r.values()) for r in rel.to_arrow_table().to_pylist()]  # Arrow: time zones without pytz
    except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.OutOfRangeException) as exc:
        raise QueryError(f"the query failed on the data: {str(exc).splitlines()[0]}", code="Q501",
                         hint="a custom field may hold a value that does not fit its type") from None  # fmt: skip
    return _finish(compiled, names, rows)


def run_clickhouse_unrestricted(
    tables: Any,
    schema: TenantSchema,
    role: str,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    options: RunOptions = RunOptions(),
) -> QueryResult:
    """Compile for ClickHouse and run on ``tables`` (a ``query.clickhouse.ClickHouseTables`` holding the
    same tables), with no row rules, suppression or audit (principals go through ``arun(...,
    clickhouse=tables)``). Values travel as typed query parameters (``clickhouse.encode_params``), never
    inside the SQL."""
    from pavedroad.query.clickhouse import encode_params

    compiled = _compile(query, schema, role, "clickhouse", model, options)
    from chdb import ChdbError  # only the ClickHouse path needs chdb (dependency group ``clickhouse``)

    limits = options.limits
    values = encode_params(compiled.sql, compiled.params)
    try:
        table = tables.arrow(compiled.sql, values, _tz(schema.time_zone), limits.statement_timeout_ms)
    except (ChdbError, RuntimeError) as exc:  # chdb raises its query errors as a RuntimeError subclass
        raise _clickhouse_error(exc, limits) from None
    names = list(table.column_names)
    rows = [tuple(r.values()) for r in table.to_pylist()]
    return _finish(compiled, names, rows)


# ClickHouse error codes a query's data can cause: a value that does not parse or convert to its type.
_CH_DATA_ERRORS = frozenset({6, 27, 38, 41, 53, 69, 70, 72, 321, 407})
_CH_CODE = re.compile(r"Code: (\d+)\.")


def _clickhouse_error(exc: Exception, limits: Limits) -> Exception:
    """A data error becomes Q501 and a timeout Q405 (as on the other engines); anything else propagates."""
    m = _CH_CODE.search(str(exc))
    if m is not None and int(m.group(1)) == 159:  # TIMEOUT_EXCEEDED
        return QueryLimitError(f"the query ran longer than {limits.statement_timeout_ms} ms", code="Q405",
                               hint="narrow the date range or filter")  # fmt: skip
    if m is None or int(m.group(1)) not in _CH_DATA_ERRORS:
        return exc
    first = str(exc).splitlines()[0]
    return QueryError(f"the query failed on the data: {first}", code="Q501",
                      hint="a custom field may hold a value that does not fit its type")  # fmt: skip


def _tz(name: str) -> str:
    if not all(ch.isalnum() or ch in "/_+-" for ch in name):
        raise QueryError(f"invalid time zone {name!r}", code="Q108")
    return name
