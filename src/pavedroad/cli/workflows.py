"""``pavedroad workflows``: list, show, retry and cancel a tenant's durable workflow runs.

The commands take the same path as ``/v1/workflows`` (``pavedroad.workflows`` api functions): one tenant
transaction as the tenant's admin on the application role, under row-level security; retry and cancel
append their outbox events in that transaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from pavedroad.cli.common import console, friendly_errors, settings

app = typer.Typer(help="Durable workflows: list, show, retry and cancel runs.", no_args_is_help=True)

_Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id, e.g. acme.")]
_Id = Annotated[str, typer.Argument(help="The run's workflow id.")]
_Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _as_admin(tenant: str, fn: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """Run ``fn(pool, principal)`` as ``tenant``'s admin against the configured (or embedded) database."""
    from psycopg_pool import AsyncConnectionPool

    from pavedroad.cli.query import principal_for
    from pavedroad.stack import start_stack

    principal = principal_for(tenant, "admin", None)
    stack = start_stack(settings(), with_nats=False)

    async def go() -> Any:
        async with AsyncConnectionPool(stack.app_url, min_size=1, max_size=1) as pool:
            return await fn(pool, principal)

    try:
        return asyncio.run(go())
    finally:
        stack.stop()


@app.command("list")
@friendly_errors
def list_(
    tenant: _Tenant,
    status: Annotated[str | None, typer.Option("--status", help="Only runs in this status, e.g. failed.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many runs, newest first.")] = 50,
    as_json: _Json = False,
) -> None:
    """The tenant's runs, newest first: id, workflow@version, queue, status, attempts."""
    from pavedroad import workflows

    runs = _as_admin(tenant, lambda pool, p: workflows.list_runs(pool, p, status=status, limit=limit))
    if as_json:
        print(json.dumps(runs, default=str, indent=2))
        return
    from rich.table import Table

    table = Table("workflow id", "workflow", "queue", "status", "attempts", "updated")
    for r in runs:
        table.add_row(
            r["workflow_id"],
            f"{r['name']}@{r['version']}",
            r["queue"],
            r["status"],
            str(r["attempts"]),
            str(r["updated_at"]),
        )
    console.print(table)


@app.command()
@friendly_errors
def show(tenant: _Tenant, workflow_id: _Id, as_json: _Json = False) -> None:
    """One run with its steps (inputs and outputs only with --json: they may hold personal data)."""
    from pavedroad import workflows

    run = _as_admin(tenant, lambda pool, p: workflows.get(pool, p, workflow_id))
    if as_json:
        print(json.dumps(run, default=str, indent=2))
        return
    console.print(
        f"{run['workflow_id']}: {run['name']}@{run['version']} on {run['queue']}, {run['status']}"
        f" after {run['attempts']} attempt(s)"
    )
    if run["error"]:
        console.print(f"error: {run['error']}", markup=False)
    for step in run["steps"]:
        console.print(f"  step {step['step_index']:>3} {step['name']}  {step['completed_at']}", markup=False)


@app.command()
@friendly_errors
def retry(tenant: _Tenant, workflow_id: _Id) -> None:
    """Queue a failed or cancelled run again; it resumes after its last checkpoint."""
    from pavedroad import workflows

    _as_admin(tenant, lambda pool, p: workflows.retry(pool, p, workflow_id))
    console.print(f"{workflow_id}: queued", markup=False)


@app.command()
@friendly_errors
def cancel(tenant: _Tenant, workflow_id: _Id) -> None:
    """Cancel a run (a worker executing it stops at its next checkpoint)."""
    from pavedroad import workflows

    status = _as_admin(tenant, lambda pool, p: workflows.cancel(pool, p, workflow_id))
    console.print(f"{workflow_id}: {status}", markup=False)
