"""Starting and steering runs: the one path HTTP, CLI, rules and Python callers share.

Guarantee: each call is one tenant transaction opened for the caller's principal (``tenancy.atransaction``),
so a caller reaches only its own tenant's runs (row-level security is the second wall), and every state
change it makes emits its event in that transaction. Starting twice with one id starts one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pavedroad import tenancy
from pavedroad.clock import Clock, SystemClock
from pavedroad.errors import InvalidInput
from pavedroad.workflows import store
from pavedroad.workflows.definitions import Registry, check_workflow_id

__all__ = ["Started", "cancel", "get", "list_runs", "retry", "signal", "start"]

_SYSTEM = SystemClock()


@dataclass(frozen=True)
class Started:
    """The run ``workflow_id`` exists; ``created`` is False when it already did (nothing new started)."""

    workflow_id: str
    version: int
    created: bool


async def start(
    pool: AsyncConnectionPool,
    principal: tenancy.Principal,
    registry: Registry,
    name: str,
    workflow_id: str,
    *,
    input_value: Any = None,
    clock: Clock = _SYSTEM,
) -> Started:
    """Queue a run of the newest registered version of ``name`` under ``workflow_id`` (idempotent)."""
    check_workflow_id(workflow_id)
    wf = registry.latest(name)
    async with tenancy.atransaction(pool, principal) as tx:
        created = await store.insert_run(
            tx,
            principal.tenant_id,
            workflow_id,
            name=wf.name,
            version=wf.version,
            queue=wf.queue.name,
            input_value=input_value,
            now=clock.time(),
        )
    return Started(workflow_id, wf.version, created)


async def signal(
    pool: AsyncConnectionPool,
    principal: tenancy.Principal,
    workflow_id: str,
    name: str,
    *,
    payload: Any = None,
    clock: Clock = _SYSTEM,
) -> bool:
    """Send signal ``name`` to a run (once per name: a repeat returns False) and wake it if it waits."""
    check_workflow_id(workflow_id)
    if not name:
        raise InvalidInput("a signal needs a name", code="WF400")
    async with tenancy.atransaction(pool, principal) as tx:
        return await store.send_signal(
            tx, principal.tenant_id, workflow_id, name=name, payload=payload, now=clock.time()
        )


async def cancel(
    pool: AsyncConnectionPool, principal: tenancy.Principal, workflow_id: str, *, clock: Clock = _SYSTEM
) -> str:
    """Cancel a run; returns its status afterwards (a finished run keeps its status)."""
    check_workflow_id(workflow_id)
    async with tenancy.atransaction(pool, principal) as tx:
        return await store.cancel(tx, principal.tenant_id, workflow_id, clock.time())


async def retry(
    pool: AsyncConnectionPool, principal: tenancy.Principal, workflow_id: str, *, clock: Clock = _SYSTEM
) -> None:
    """Queue a failed or cancelled run again; it resumes after its last checkpoint."""
    check_workflow_id(workflow_id)
    async with tenancy.atransaction(pool, principal) as tx:
        await store.retry(tx, principal.tenant_id, workflow_id, clock.time())


async def list_runs(
    pool: AsyncConnectionPool, principal: tenancy.Principal, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The caller's tenant's runs, newest first."""
    if status is not None and status not in (*store.ACTIVE, *store.TERMINAL):
        raise InvalidInput(
            f"unknown status {status!r}", code="WF400", hint=f"one of {', '.join((*store.ACTIVE, *store.TERMINAL))}"
        )
    async with tenancy.atransaction(pool, principal) as tx:
        return await store.list_runs(tx, principal.tenant_id, status=status, limit=max(1, min(limit, 1000)))


async def get(pool: AsyncConnectionPool, principal: tenancy.Principal, workflow_id: str) -> dict[str, Any]:
    """One run of the caller's tenant with its input, output and steps."""
    check_workflow_id(workflow_id)
    async with tenancy.atransaction(pool, principal) as tx:
        return await store.get_run(tx, principal.tenant_id, workflow_id)
