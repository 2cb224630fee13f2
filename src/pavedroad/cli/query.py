"""``pavedroad query``: run a report (text or JSON form) for a tenant and role, or just compile it."""

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


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(result.to_dict()))
        return
    table = Table()
    for c in result.columns:
        table.add_column(f"{c.name}\n[dim]{c.type} · {c.classification}[/]")
    for row in result.to_dict()["rows"]:
        table.add_row(*("∅" if v is None else str(v) for v in row))
    console.print(table)
    if result.next_cursor:
        console.print(f"next page: --cursor {result.next_cursor}")


@app.command()
@friendly_errors
def run(
    query: Annotated[str, typer.Argument(help="The query, pipeline text or JSON form.")],
    *,
    tenant: Annotated[str, typer.Option(help="Tenant id to run as.")],
    role: Annotated[str, typer.Option(help="Role to run as (policy and cache key).")] = "admin",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (columns, rows, next_cursor).")] = False,
    target: Annotated[
        str, typer.Option(help="postgres (live data) or duckdb (a copy of the tenant's tables).")
    ] = "postgres",
    show_sql: Annotated[bool, typer.Option("--sql", help="Also print the compiled SQL and parameters.")] = False,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A $parameter as name=value (JSON values).")
    ] = None,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
) -> None:
    """Compile and run a query for a tenant; errors print with a caret under the bad span."""
    from psycopg_pool import ConnectionPool

    from pavedroad.query import load_tenant_schema, run_duckdb
    from pavedroad.query import run as run_query
    from pavedroad.recruiting.model import recruiting_model
    from pavedroad.stack import start_stack
    from pavedroad.tenancy import Principal, Role, transaction

    if target not in ("postgres", "duckdb"):
        raise InvalidInput(f"unknown --target {target!r}", hint="use postgres or duckdb")
    try:
        principal = Principal(tenant, None, Role(role))
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}", hint=f"one of {', '.join(r.value for r in Role)}") from None
    model = recruiting_model()
    text = _query_arg(query)
    values = _params(param or [])
    stack = start_stack(settings(), with_nats=False, read_only=True)
    try:
        with ConnectionPool(stack.app_url, min_size=1, max_size=2, open=True) as pool:
            if target == "postgres":
                result = run_query(pool, principal, text, model=model, params=values, cursor=cursor)
            else:
                from pavedroad.query.warehouse_copy import copy_tables  # DuckDB and Arrow: only for this target

                with transaction(pool, principal) as conn:
                    schema = load_tenant_schema(conn, tenant)
                    duck = copy_tables(conn, model)
                result = run_duckdb(duck, schema, role, text, model=model, params=values, cursor=cursor)
    finally:
        stack.stop()
    if show_sql:
        console.print(result.compiled.sql, highlight=False, markup=False, soft_wrap=True)
        console.print({k: str(v) for k, v in result.compiled.params.items()}, highlight=False)
        console.print(result.compiled.plan, highlight=False, markup=False)
    _print_result(result, as_json)


@app.command()
@friendly_errors
def compile(
    query: Annotated[str, typer.Argument(help="The query, pipeline text or JSON form.")],
    dialect: Annotated[str, typer.Option(help="postgres or duckdb.")] = "postgres",
    role: Annotated[str, typer.Option(help="Role (policy).")] = "admin",
) -> None:
    """Compile without a database (no custom fields) and print the SQL, parameters and plan."""
    from pavedroad.query import TenantSchema, compile_query
    from pavedroad.recruiting.model import recruiting_model

    if dialect not in ("postgres", "duckdb"):
        raise InvalidInput(f"unknown --dialect {dialect!r}", hint="use postgres or duckdb")
    compiled = compile_query(_query_arg(query), model=recruiting_model(), schema=TenantSchema("example"),
                             role=role, dialect=dialect)  # fmt: skip
    console.print(compiled.sql, highlight=False, markup=False, soft_wrap=True)
    console.print_json(json.dumps({k: str(v) for k, v in compiled.params.items()}))
    console.print(compiled.plan, highlight=False, markup=False)


# explain, profile, top, advise, check-plans (pavedroad.cli.query_tools)
from pavedroad.cli.query_tools import register as _register_tools  # noqa: E402 - needs the group defined above

_register_tools(app)
