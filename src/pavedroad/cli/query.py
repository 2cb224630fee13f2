"""``pavedroad query``: run a report (text or JSON form) for a tenant and role, or just compile it.

``run`` and ``explain`` take the one guarded path ``POST /v1/query`` takes (``recruiting.reads.GUARDRAILS``:
field access, row rules, suppression, audit); ``--as-owner`` skips it, only for a process holding the
owner database URL, and says so in its output."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.errors import InvalidInput

app = typer.Typer(help="The query language: run reports and list views, or compile them to SQL.", no_args_is_help=True)


def _query_arg(text: str) -> str | dict[str, Any]:
    """Text form as is; an argument starting with '{' is the JSON form."""
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"the JSON query does not parse: {exc.msg}", code="Q102") from None
        if not isinstance(value, dict):
            raise InvalidInput("the JSON query must be an object", code="Q102")
        return value
    return text


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise InvalidInput(
                f"--param {pair!r} is not name=value", hint="e.g. --param dept=Engineering --param days=90"
            )
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError:
            out[name] = raw
    return out


UNRESTRICTED = (
    "ran unrestricted (--as-owner): no field access, row rules, suppression or audit; tenant scope and"
    " row-level security still apply"
)


def _json_value(value: Any) -> Any:
    """Values as the service's JSON encoder writes them: whole decimals as integers, dates in ISO form."""
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _print_result(result: Any, as_json: bool, *, unrestricted: bool = False) -> None:
    body = result.to_dict()
    if as_json:
        body = {**body, "unrestricted": True} if unrestricted else body
        console.print_json(json.dumps(body, default=_json_value))
        return
    if unrestricted:
        console.print(f"[bold yellow]{UNRESTRICTED}[/]")
    table = Table()
    for c in body["columns"]:
        table.add_column(f"{c['name']}\n[dim]{c['type']} · {c['classification']}[/]")
    for row in body["rows"]:
        table.add_row(*("∅" if v is None else str(v) for v in row))
    console.print(table)
    if body.get("suppression"):
        console.print(f"[dim]{body['suppression']}[/]")
    if result.next_cursor:
        console.print(f"next page: --cursor {result.next_cursor}")


def principal_for(tenant: str, role: str, user: int | None) -> Any:
    """The principal a command acts as; an unknown role is a clear error."""
    from pavedroad.tenancy import Principal, Role

    try:
        return Principal(tenant, user, Role(role))
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}", hint=f"one of {', '.join(r.value for r in Role)}") from None


def require_owner(owner_url: str) -> None:
    """``--as-owner`` only for a process that holds the owner database URL: the database's owner or a
    superuser (the embedded server's), never the application role."""
    import psycopg

    from pavedroad.errors import Forbidden

    with psycopg.connect(owner_url, autocommit=True) as conn:
        row = conn.execute(
            "select r.rolsuper or pg_has_role(current_user, d.datdba, 'MEMBER') from pg_roles r, pg_database d"
            " where r.rolname = current_user and d.datname = current_database()"
        ).fetchone()
    if not row or not row[0]:
        raise Forbidden(
            "--as-owner needs the owner database URL; this process holds an application role",
            hint="drop --as-owner to run as a role (--role), or set PAVEDROAD_DATABASE_URL to the owner's URL",
        )


def tenant_copy(app_url: str, principal: Any, model: Any) -> tuple[Any, Any]:
    """The tenant's schema and its tables copied into DuckDB, read under RLS as the principal's tenant."""
    from psycopg_pool import ConnectionPool

    from pavedroad.query import load_tenant_schema
    from pavedroad.query.warehouse_copy import copy_tables
    from pavedroad.tenancy import transaction

    with ConnectionPool(app_url, min_size=1, max_size=1, open=True) as pool, transaction(pool, principal) as conn:
        return load_tenant_schema(conn, principal.tenant_id), copy_tables(conn, model)


def _check_target(target: str, engines: tuple[str, ...] = ("postgres", "duckdb")) -> None:
    if target not in engines:
        raise InvalidInput(f"unknown --target {target!r}", hint=f"use {', '.join(engines[:-1])} or {engines[-1]}")


def clickhouse_copy(duck: Any, model: Any) -> Any:
    """The DuckDB copy's tables as Parquet, loaded into an in-process ClickHouse (chdb)."""
    try:
        from pavedroad.query.clickhouse import ClickHouseTables

        tables = ClickHouseTables()
    except ImportError:
        raise InvalidInput(
            "--target clickhouse needs chdb, which is not installed",
            hint="install the clickhouse dependency group: uv sync --group clickhouse",
        ) from None
    tables.load_from_duckdb(duck, model)
    return tables


@app.command()
@friendly_errors
def run(
    query: Annotated[str, typer.Argument(help="The query, pipeline text or JSON form.")],
    *,
    tenant: Annotated[str, typer.Option(help="Tenant id to run as.")],
    role: Annotated[str, typer.Option(help="Role to run as: its field access, row rules and suppression.")] = "admin",
    user: Annotated[int | None, typer.Option(help="User id to run as (row rules grant by user).")] = None,
    as_owner: Annotated[
        bool, typer.Option("--as-owner", help="Run unrestricted (no role guardrails); needs the owner URL.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (columns, rows, next_cursor).")] = False,
    target: Annotated[
        str,
        typer.Option(help="postgres (live data), or duckdb or clickhouse (in-process, a copy of the tenant's tables)."),
    ] = "postgres",
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the compiled SQL and parameters.")] = False,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A $parameter as name=value (JSON values).")
    ] = None,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
) -> None:
    """Run a query for a tenant as a role — exactly what POST /v1/query returns for that role, audited —
    or, with --as-owner, unrestricted; errors print with a caret under the bad span."""

    from pavedroad.query import RunOptions, run_clickhouse_unrestricted, run_duckdb_unrestricted, run_unrestricted
    from pavedroad.query import run as run_query
    from pavedroad.recruiting.model import recruiting_model
    from pavedroad.recruiting.reads import GUARDRAILS
    from pavedroad.stack import start_stack

    _check_target(target, ("postgres", "duckdb", "clickhouse"))
    principal = principal_for(tenant, role, user)
    model = recruiting_model()
    text = _query_arg(query)
    options = RunOptions(params=_params(param or []), cursor=cursor)
    stack = start_stack(settings(), with_nats=False, read_only=True)
    try:
        if as_owner:
            require_owner(stack.owner_url)
        schema: Any = None
        duck: Any = None
        result: Any
        if target in ("duckdb", "clickhouse"):
            schema, duck = tenant_copy(stack.app_url, principal, model)
        if target == "clickhouse":
            with clickhouse_copy(duck, model) as ch:
                if as_owner:
                    result = run_clickhouse_unrestricted(ch, schema, role, text, model=model, options=options)
                else:
                    result = run_query(stack.app_url, principal, text, model=model, guard=GUARDRAILS,
                                       options=options, clickhouse=ch)  # fmt: skip
        elif as_owner and duck is not None:
            result = run_duckdb_unrestricted(duck, schema, role, text, model=model, options=options)
        elif as_owner:
            result = run_unrestricted(stack.app_url, principal, text, model=model, options=options)
        else:
            result = run_query(stack.app_url, principal, text, model=model, guard=GUARDRAILS, options=options,
                               duckdb=duck)  # fmt: skip
    finally:
        stack.stop()
    if show_sql and result.compiled is not None:
        console.print(result.compiled.sql, highlight=False, markup=False, soft_wrap=True)
        console.print({k: str(v) for k, v in result.compiled.params.items()}, highlight=False)
        console.print(result.compiled.plan, highlight=False, markup=False)
    _print_result(result, as_json, unrestricted=as_owner)


@app.command()
@friendly_errors
def compile(
    query: Annotated[str, typer.Argument(help="The query, pipeline text or JSON form.")],
    dialect: Annotated[str, typer.Option("--dialect", "--target", help="postgres, duckdb or clickhouse.")] = "postgres",
    role: Annotated[str, typer.Option(help="Role (policy).")] = "admin",
) -> None:
    """Compile without a database (no custom fields) and print the SQL, parameters and plan."""
    from pavedroad.query import TenantSchema, compile_query
    from pavedroad.recruiting.model import recruiting_model

    if dialect not in ("postgres", "duckdb", "clickhouse"):
        raise InvalidInput(f"unknown --dialect {dialect!r}", hint="use postgres, duckdb or clickhouse")
    compiled = compile_query(_query_arg(query), model=recruiting_model(), schema=TenantSchema("example"),
                             role=role, dialect=dialect)  # fmt: skip
    console.print(compiled.sql, highlight=False, markup=False, soft_wrap=True)
    console.print_json(json.dumps({k: str(v) for k, v in compiled.params.items()}))
    console.print(compiled.plan, highlight=False, markup=False)


# explain, profile, top, advise, check-plans (pavedroad.cli.query_tools)
from pavedroad.cli.query_tools import register as _register_tools  # noqa: E402 - needs the group defined above

_register_tools(app)
