"""The audit trail: who saw what class of data, when, with what outcome (never the values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors, settings

app = typer.Typer(
    help="Read the audit trail (append-only; every query, read, export, erase and denial).", no_args_is_help=True
)
_Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id, e.g. acme.")]
_Limit = Annotated[int, typer.Option("--limit", "-n", min=1, max=10_000, help="How many events.")]
_Json = Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")]


def _fetch(tenant: str, **filters: Any) -> list[dict[str, Any]]:
    from psycopg_pool import ConnectionPool

    from pavedroad.privacy import audit_search_statements
    from pavedroad.stack import start_stack
    from pavedroad.tenancy import Principal, Role, drive, transaction

    stack = start_stack(settings(), with_nats=False)
    try:
        with (
            ConnectionPool(stack.app_url, min_size=1, max_size=1) as pool,
            transaction(pool, Principal(tenant, None, Role.COMPLIANCE)) as conn,
        ):
            return drive(conn, audit_search_statements(**filters))
    finally:
        stack.stop()


def _show(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        import json

        for row in rows:
            print(json.dumps(row, default=str))
        return
    table = Table()
    for column in ("time", "request", "actor", "action", "entity", "subject", "classes", "rows", "outcome", "reason"):
        table.add_column(column)
    for r in rows:
        actor = f"{r['actor_role']}#{r['actor_user_id']}" if r["actor_user_id"] else r["actor_role"]
        table.add_row(
            f"{r['occurred_at']:%Y-%m-%d %H:%M:%S}",
            r["request_id"] or "",
            actor,
            r["action"],
            r["entity"],
            r["subject_id"] or "",
            ",".join(r["field_classes"]),
            "" if r["row_count"] is None else str(r["row_count"]),
            r["outcome"],
            r["reason"] or "",
        )
    console.print(table)


@app.command()
@friendly_errors
def tail(tenant: _Tenant, limit: _Limit = 20, as_json: _Json = False) -> None:
    """The newest audit events of a tenant."""
    _show(_fetch(tenant, limit=limit), as_json)


@app.command()
@friendly_errors
def search(  # noqa: PLR0917 - Typer maps each option to a parameter
    tenant: _Tenant,
    actor: Annotated[int | None, typer.Option("--actor", help="User id of the actor.")] = None,
    entity: Annotated[str | None, typer.Option("--entity", help="e.g. applications, candidates.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="query, read, list, export, erase…")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="ok, denied, error, suppressed.")] = None,
    since_hours: Annotated[float | None, typer.Option("--since-hours", help="Only the last N hours.")] = None,
    limit: _Limit = 200,
    as_json: _Json = False,
) -> None:
    """Audit events matching every given filter, newest first."""
    since = datetime.now(UTC) - timedelta(hours=since_hours) if since_hours else None
    rows = _fetch(tenant, actor_user_id=actor, entity=entity, action=action, outcome=outcome, since=since, limit=limit)
    _show(rows, as_json)
