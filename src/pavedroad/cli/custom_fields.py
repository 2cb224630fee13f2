"""``pavedroad custom-fields``: list, define and reclassify a tenant's custom fields.

The commands take the same path as ``/v1/custom-fields`` (``recruiting.custom_fields``): they act as the
tenant's admin (``list`` as any ``--role``) on the application role, under row-level security, and each
change appends its outbox event and bumps the tenant's schema version.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from pavedroad.cli.common import console, friendly_errors, settings

app = typer.Typer(help="Custom fields: list, define (with a classification) and reclassify.", no_args_is_help=True)

M = TypeVar("M")

_Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id, e.g. acme.")]
_Entity = Annotated[str, typer.Option("--entity", help="candidates, applications or jobs.")]
_Key = Annotated[str, typer.Option("--key", help="The field's key; queried as custom.<key>.")]
_Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _as(tenant: str, role: str, fn: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """Run ``fn(conn, principal)`` in one tenant transaction as ``role`` of ``tenant``."""
    from psycopg_pool import AsyncConnectionPool

    from pavedroad.cli.query import principal_for
    from pavedroad.stack import start_stack
    from pavedroad.tenancy import atransaction

    principal = principal_for(tenant, role, None)
    stack = start_stack(settings(), with_nats=False)

    async def go() -> Any:
        pool = AsyncConnectionPool(stack.app_url, min_size=1, max_size=1, open=False)
        async with pool, atransaction(pool, principal) as conn:
            return await fn(conn, principal)

    try:
        return asyncio.run(go())
    finally:
        stack.stop()


def _body(model: type[M], **values: Any) -> M:
    """The request body the HTTP route would parse; a bad value is a clear error, not a traceback."""
    from pydantic import ValidationError

    from pavedroad.errors import InvalidInput

    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", code="C400") from None


def _print(fields: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(fields, default=str, indent=2))
        return
    from rich.table import Table

    table = Table("entity", "key", "label", "type", "classification")
    for f in fields:
        table.add_row(f["entity"], f["key"], f["label"], f["field_type"], f["classification"])
    console.print(table)


@app.command("list")
@friendly_errors
def list_(
    tenant: _Tenant,
    role: Annotated[str, typer.Option(help="List what this role may read.")] = "admin",
    as_json: _Json = False,
) -> None:
    """The tenant's custom fields the role may read (others read as unknown, as in a query)."""
    from pavedroad.recruiting.custom_fields import alist_custom_fields
    from pavedroad.recruiting.reads import GUARDRAILS

    policy = GUARDRAILS.field_policy()
    _print(_as(tenant, role, lambda conn, p: alist_custom_fields(conn, p, policy)), as_json)


@app.command()
@friendly_errors
def define(
    *,
    tenant: _Tenant,
    entity: _Entity,
    key: _Key,
    field_type: Annotated[str, typer.Option("--type", help="text, number, date, boolean, single_select, …")],
    classification: Annotated[str, typer.Option(help="public … sensitive, or compensation (required).")],
    label: Annotated[str, typer.Option(help="Shown to users (default: the key).")] = "",
    as_json: _Json = False,
) -> None:
    """Define a custom field with its classification, as the tenant's admin."""
    from pavedroad.recruiting.custom_fields import NewCustomField, adefine_custom_field

    new = _body(
        NewCustomField, entity=entity, key=key, label=label, field_type=field_type, classification=classification
    )
    _print([_as(tenant, "admin", lambda conn, p: adefine_custom_field(conn, p, new))], as_json)


@app.command()
@friendly_errors
def reclassify(
    *,
    tenant: _Tenant,
    entity: _Entity,
    key: _Key,
    classification: Annotated[str | None, typer.Option(help="The new classification.")] = None,
    label: Annotated[str | None, typer.Option(help="A new label.")] = None,
    as_json: _Json = False,
) -> None:
    """Change a field's classification and/or label, as the tenant's admin; the next query sees it."""
    from pavedroad.recruiting.custom_fields import CustomFieldChange, areclassify_custom_field

    change = _body(CustomFieldChange, label=label, classification=classification)
    _print([_as(tenant, "admin", lambda conn, p: areclassify_custom_field(conn, p, entity, key, change))], as_json)
