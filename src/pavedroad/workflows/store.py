"""The workflow tables, statement by statement, inside a caller's tenant transaction.

Guarantee: every state change of a run writes its event to the outbox in the same transaction
(``workflow_<status>``, aggregate ``workflow``), and every write a worker makes after claiming is fenced:
it first re-checks, under the run's row lock, that this worker still holds an unexpired lease on a run
that is still running, so a worker whose lease expired or whose run was cancelled commits nothing.
Times are the caller's clock (``now`` in seconds), never the database's, so tests drive them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from pavedroad.errors import Conflict, NotFound, present
from pavedroad.events import Event, aappend

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "LeaseLost",
    "RunRow",
    "at",
    "begin_attempt",
    "cancel",
    "checkpoint",
    "fence",
    "fenced_checkpoint",
    "finish",
    "get_run",
    "ids_with_prefix",
    "insert_run",
    "list_runs",
    "read_signal",
    "retry",
    "send_signal",
    "suspend",
]

ACTIVE = ("queued", "running", "sleeping", "waiting")
TERMINAL = ("succeeded", "failed", "cancelled")


class LeaseLost(BaseException):
    """This worker no longer owns the run (lease expired and taken, or the run was cancelled): stop."""


@dataclass(frozen=True)
class RunRow:
    """What a worker needs to resume a run."""

    tenant_id: str
    workflow_id: str
    name: str
    version: int
    input: Any
    attempt: int
    steps: dict[int, Any]


def at(seconds: float) -> datetime:
    """A clock reading as a timestamptz."""
    return datetime.fromtimestamp(seconds, UTC)


async def _event(
    tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, *, status: str, name: str, now: float, **extra: Any
) -> None:
    payload = {"workflow": name, "status": status, **extra}
    await aappend(
        tx,
        Event(
            type=f"workflow_{status}",
            tenant_id=tenant_id,
            aggregate_type="workflow",
            aggregate_id=workflow_id,
            occurred_at=at(now),
            payload=payload,
            classification=dict.fromkeys(payload, "internal"),
        ),
    )


async def insert_run(
    tx: psycopg.AsyncConnection,
    tenant_id: str,
    workflow_id: str,
    *,
    name: str,
    version: int,
    queue: str,
    input_value: Any,
    now: float,
) -> bool:
    """Create the run if no run has this id in the tenant; True when this call created it. Concurrent
    starts with one id serialise on the primary key: exactly one inserts, the others see it exists."""
    row = await (
        await tx.execute(
            "insert into workflow_runs (tenant_id, workflow_id, name, version, queue, status, input, ready_at,"
            " created_at, updated_at) values (%s, %s, %s, %s, %s, 'queued', %s, %s, %s, %s)"
            " on conflict (tenant_id, workflow_id) do nothing returning 1",
            (tenant_id, workflow_id, name, version, queue, Jsonb(input_value), at(now), at(now), at(now)),
        )
    ).fetchone()
    if row is not None:
        await _event(tx, tenant_id, workflow_id, status="queued", name=name, now=now, version=version)
    return row is not None


async def begin_attempt(
    tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, owner: str, now: float
) -> RunRow | None:
    """Mark the leased run running (one more attempt) and load its checkpoints; None if the lease is gone."""
    row = await (
        await tx.execute(
            "update workflow_runs set status = 'running', attempts = attempts + 1, updated_at = %s"
            " where tenant_id = %s and workflow_id = %s and lease_owner = %s and lease_expires_at > %s"
            " and status in ('queued', 'running', 'sleeping', 'waiting')"
            " returning name, version, input, attempts",
            (at(now), tenant_id, workflow_id, owner, at(now)),
        )
    ).fetchone()
    if row is None:
        return None
    name, version, input_value, attempt = row
    await _event(tx, tenant_id, workflow_id, status="running", name=name, now=now, attempt=attempt)
    cur = await tx.execute(
        "select step_index, output from workflow_steps where tenant_id = %s and workflow_id = %s",
        (tenant_id, workflow_id),
    )
    steps: dict[int, Any] = {int(index): output for index, output in await cur.fetchall()}
    return RunRow(tenant_id, workflow_id, name, version, input_value, attempt, steps)


_FENCE = (
    "update workflow_runs set lease_expires_at = %s"
    " where tenant_id = %s and workflow_id = %s and lease_owner = %s and lease_expires_at > %s and status = 'running'"
)


async def fence(
    tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, *, owner: str, now: float, lease_s: float
) -> None:
    """Lock the run and extend this worker's lease, or raise ``LeaseLost`` (the transaction then rolls back)."""
    row = await (
        await tx.execute(
            _FENCE + " returning 1",
            (at(now + lease_s), tenant_id, workflow_id, owner, at(now)),
        )
    ).fetchone()
    if row is None:
        raise LeaseLost(workflow_id)


async def checkpoint(
    tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, *, index: int, name: str, output: Any, now: float
) -> None:
    """Record step ``index``'s result (after ``fence`` in the same transaction)."""
    await tx.execute(
        "insert into workflow_steps (tenant_id, workflow_id, step_index, name, output, completed_at)"
        " values (%s, %s, %s, %s, %s, %s)",
        (tenant_id, workflow_id, index, name, Jsonb(output), at(now)),
    )


async def fenced_checkpoint(
    tx: psycopg.AsyncConnection,
    tenant_id: str,
    workflow_id: str,
    *,
    owner: str,
    lease_s: float,
    index: int,
    name: str,
    output: Any,
    now: float,
) -> psycopg.AsyncCursor[Any]:
    """``fence`` and ``checkpoint`` as one statement (one round trip, pipeline-friendly): the step row is
    written only if the fence holds. The returned cursor yields one row iff it did (read it after commit)."""
    return await tx.execute(
        f"with fenced as ({_FENCE} returning 1)"
        " insert into workflow_steps (tenant_id, workflow_id, step_index, name, output, completed_at)"
        " select %s, %s, %s, %s, %s, %s from fenced returning 1",
        (
            at(now + lease_s),
            tenant_id,
            workflow_id,
            owner,
            at(now),
            tenant_id,
            workflow_id,
            index,
            name,
            Jsonb(output),
            at(now),
        ),
    )


async def suspend(
    tx: psycopg.AsyncConnection,
    tenant_id: str,
    workflow_id: str,
    *,
    name: str,
    status: str,
    ready_at: float | None,
    now: float,
) -> None:
    """Park the run (``sleeping`` until ``ready_at``, ``waiting`` for a signal) and free its lease."""
    await tx.execute(
        "update workflow_runs set status = %s, ready_at = %s, lease_owner = null, lease_expires_at = null,"
        " updated_at = %s where tenant_id = %s and workflow_id = %s",
        (status, None if ready_at is None else at(ready_at), at(now), tenant_id, workflow_id),
    )
    await _event(tx, tenant_id, workflow_id, status=status, name=name, now=now)


async def finish(
    tx: psycopg.AsyncConnection,
    tenant_id: str,
    workflow_id: str,
    *,
    name: str,
    output: Any,
    error: str | None,
    now: float,
) -> None:
    """End the run: ``succeeded`` with its output, or ``failed`` with the error's type and message."""
    status = "failed" if error is not None else "succeeded"
    await tx.execute(
        "update workflow_runs set status = %s, output = %s, error = %s, ready_at = null, lease_owner = null,"
        " lease_expires_at = null, updated_at = %s where tenant_id = %s and workflow_id = %s",
        (status, Jsonb(output), error, at(now), tenant_id, workflow_id),
    )
    await _event(tx, tenant_id, workflow_id, status=status, name=name, now=now)


async def read_signal(tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, name: str) -> tuple[bool, Any]:
    """(found, payload) of the run's signal ``name``."""
    row = await (
        await tx.execute(
            "select payload from workflow_signals where tenant_id = %s and workflow_id = %s and name = %s",
            (tenant_id, workflow_id, name),
        )
    ).fetchone()
    return (False, None) if row is None else (True, row[0])


async def send_signal(
    tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, *, name: str, payload: Any, now: float
) -> bool:
    """Deliver signal ``name`` once (a second send of the same name is ignored: False) and wake the run."""
    run = await _run_status(tx, tenant_id, workflow_id)
    if run in TERMINAL:
        raise Conflict(f"workflow {workflow_id!r} is {run}: it takes no signals", code="WF409")
    row = await (
        await tx.execute(
            "insert into workflow_signals (tenant_id, workflow_id, name, payload, sent_at) values (%s, %s, %s, %s, %s)"
            " on conflict do nothing returning 1",
            (tenant_id, workflow_id, name, Jsonb(payload), at(now)),
        )
    ).fetchone()
    await tx.execute(
        "update workflow_runs set ready_at = %s where tenant_id = %s and workflow_id = %s and status = 'waiting'",
        (at(now), tenant_id, workflow_id),
    )
    return row is not None


async def _run_status(tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str) -> str:
    row = await (
        await tx.execute(
            "select status from workflow_runs where tenant_id = %s and workflow_id = %s for update",
            (tenant_id, workflow_id),
        )
    ).fetchone()
    if row is None:
        raise NotFound(f"no workflow run {workflow_id!r}", code="WF404")
    return str(row[0])


async def ids_with_prefix(tx: psycopg.AsyncConnection, tenant_id: str, prefix: str) -> list[str]:
    """The tenant's active runs whose id starts with ``prefix`` (compared as text, no wildcards)."""
    cur = await tx.execute(
        "select workflow_id from workflow_runs where tenant_id = %s and left(workflow_id, length(%s)) = %s"
        " and status in ('queued', 'running', 'sleeping', 'waiting') order by workflow_id",
        (tenant_id, prefix, prefix),
    )
    return [r[0] for r in await cur.fetchall()]


async def cancel(tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, now: float) -> str:
    """Cancel an active run (a worker executing it stops at its next checkpoint); returns the new status."""
    status = await _run_status(tx, tenant_id, workflow_id)
    if status in TERMINAL:
        return status
    row = await (
        await tx.execute(
            "update workflow_runs set status = 'cancelled', ready_at = null, lease_owner = null,"
            " lease_expires_at = null, updated_at = %s where tenant_id = %s and workflow_id = %s returning name",
            (at(now), tenant_id, workflow_id),
        )
    ).fetchone()
    row = present(row, "the workflow run locked by _run_status")
    await _event(tx, tenant_id, workflow_id, status="cancelled", name=str(row[0]), now=now)
    return "cancelled"


async def retry(tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str, now: float) -> None:
    """Queue a failed or cancelled run again: it resumes after its last checkpoint."""
    status = await _run_status(tx, tenant_id, workflow_id)
    if status not in ("failed", "cancelled"):
        raise Conflict(
            f"workflow {workflow_id!r} is {status}; only failed or cancelled runs can be retried", code="WF409"
        )
    row = await (
        await tx.execute(
            "update workflow_runs set status = 'queued', error = null, ready_at = %s, updated_at = %s"
            " where tenant_id = %s and workflow_id = %s returning name",
            (at(now), at(now), tenant_id, workflow_id),
        )
    ).fetchone()
    row = present(row, "the workflow run locked by _run_status")
    await _event(tx, tenant_id, workflow_id, status="queued", name=str(row[0]), now=now, retried=True)


_RUN_COLUMNS = (
    "workflow_id, name, version, queue, status, attempts, error, ready_at, created_at, updated_at, lease_expires_at"
)


async def list_runs(
    tx: psycopg.AsyncConnection, tenant_id: str, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The tenant's runs, newest first (no inputs or outputs: those are ``get_run``'s)."""
    async with tx.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"select {_RUN_COLUMNS} from workflow_runs where tenant_id = %s"
            " and (%s::text is null or status = %s) order by created_at desc, workflow_id limit %s",
            (tenant_id, status, status, limit),
        )
        return list(await cur.fetchall())


async def get_run(tx: psycopg.AsyncConnection, tenant_id: str, workflow_id: str) -> dict[str, Any]:
    """One run with its input, output and steps."""
    async with tx.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            f"select {_RUN_COLUMNS}, input, output from workflow_runs where tenant_id = %s and workflow_id = %s",
            (tenant_id, workflow_id),
        )
        run = await cur.fetchone()
        if run is None:
            raise NotFound(f"no workflow run {workflow_id!r}", code="WF404")
        await cur.execute(
            "select step_index, name, output, completed_at from workflow_steps"
            " where tenant_id = %s and workflow_id = %s order by step_index",
            (tenant_id, workflow_id),
        )
        run["steps"] = list(await cur.fetchall())
    return run
