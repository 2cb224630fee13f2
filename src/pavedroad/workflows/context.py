"""What a workflow function sees: steps, durable sleeps, signals, outbound calls, transactional steps.

Guarantee: the n-th durable operation of a run has index n on every replay, so a resumed run returns
recorded results for the steps it already completed and executes only what follows its last
checkpoint. Each step's result commits in one fenced tenant transaction (``store.fence``); a step's
outbound calls carry the idempotency key ``<hash of tenant and workflow id>-<index>``, the same on
every retry and recovery, so a receiver that honours ``Idempotency-Key`` applies the effect once.
Workflow code must be deterministic between durable operations (read time and randomness in steps).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad import tenancy
from pavedroad.clock import Clock
from pavedroad.workflows import store

if TYPE_CHECKING:
    import httpx

__all__ = ["Suspended", "WorkflowContext", "idempotency_key"]


class Suspended(BaseException):
    """The run has parked (``sleeping`` until ``ready_at``, or ``waiting`` for a signal): unwind to the worker."""

    def __init__(self, status: str, ready_at: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.ready_at = ready_at


def idempotency_key(tenant_id: str, workflow_id: str, index: int) -> str:
    """The key a step's outbound calls carry: stable per (run, step), and naming neither tenant nor id."""
    digest = hashlib.sha256(f"{tenant_id}\x00{workflow_id}".encode()).hexdigest()[:32]
    return f"wf-{digest}-{index}"


class WorkflowContext:
    """Passed to a workflow function as its first argument; one per attempt of one run."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        run: store.RunRow,
        *,
        owner: str,
        clock: Clock,
        lease_s: float,
        client: Callable[[str], httpx.AsyncClient],  # noqa: TID251 - clients come from resilience.async_client
    ) -> None:
        self.tenant_id = run.tenant_id
        self.workflow_id = run.workflow_id
        self.attempt = run.attempt
        self._pool = pool
        self._run = run
        self._owner = owner
        self._clock = clock
        self._lease_s = lease_s
        self._client = client
        self._principal = tenancy.Principal(run.tenant_id, None, tenancy.Role.ADMIN)
        self.pool = pool  # for steps that query through a guarded path (e.g. a rule's condition)
        self.principal = self._principal  # the run's tenant, as its admin
        self._next = 0
        self.key = ""  # the running step's idempotency key
        self.executed: list[int] = []  # indices executed (not replayed) in this attempt

    def _index(self) -> int:
        index, self._next = self._next, self._next + 1
        return index

    def now(self) -> float:
        """The worker's clock (use it only inside steps, or the replay would differ)."""
        return self._clock.time()

    @asynccontextmanager
    async def fenced(self) -> AsyncIterator[tuple[psycopg.AsyncConnection, float]]:
        """A tenant transaction that holds the run's row lock and this worker's renewed lease."""
        async with tenancy.atransaction(self._pool, self._principal) as tx:
            now = self._clock.time()
            await store.fence(tx, self.tenant_id, self.workflow_id, owner=self._owner, now=now, lease_s=self._lease_s)
            yield tx, now

    async def _commit(
        self, index: int, name: str, output: Any, effect: Callable[[psycopg.AsyncConnection], Awaitable[Any]] | None
    ) -> Any:
        if effect is None:
            # One statement: the fence and the insert (measured faster here than pipeline mode).
            async with tenancy.atransaction(self._pool, self._principal) as tx:
                cur = await store.fenced_checkpoint(
                    tx,
                    self.tenant_id,
                    self.workflow_id,
                    owner=self._owner,
                    lease_s=self._lease_s,
                    index=index,
                    name=name,
                    output=output,
                    now=self._clock.time(),
                )
            if await cur.fetchone() is None:
                raise store.LeaseLost(self.workflow_id)
        else:
            async with self.fenced() as (tx, now):
                output = await effect(tx)
                await store.checkpoint(
                    tx, self.tenant_id, self.workflow_id, index=index, name=name, output=output, now=now
                )
        self._run.steps[index] = output
        self.executed.append(index)
        return output

    async def step(self, name: str, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run ``fn(*args)`` once for this run and record its (JSON) result; replays return the record.
        ``ctx.key`` is the step's idempotency key while ``fn`` runs."""
        index = self._index()
        if index in self._run.steps:
            return self._run.steps[index]
        self.key = idempotency_key(self.tenant_id, self.workflow_id, index)
        return await self._commit(index, name, await fn(*args), None)

    async def transact(self, name: str, fn: Callable[[psycopg.AsyncConnection], Awaitable[Any]]) -> Any:
        """Run ``fn(tx)`` inside the checkpoint's own tenant transaction: its database effects and the
        checkpoint commit together, so they happen exactly once."""
        index = self._index()
        if index in self._run.steps:
            return self._run.steps[index]
        return await self._commit(index, name, None, fn)

    async def call(
        self, dependency: str, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An outbound HTTP call as a step, through the dependency's resilience pipeline, carrying the
        step's ``Idempotency-Key`` (so the pipeline may retry it and a receiver applies it once)."""

        async def send() -> dict[str, Any]:
            sent = {**(headers or {}), "Idempotency-Key": self.key}
            response = await self._client(dependency).request(method, url, json=json, headers=sent)
            response.raise_for_status()
            return {"status": response.status_code}

        return dict(await self.step(f"call:{dependency}", send))

    async def sleep(self, seconds: float) -> None:
        """A durable sleep: the run parks (no worker, no slot) until the clock passes the recorded end."""
        index = self._index()
        record = self._run.steps.get(index)
        if record is not None and self._clock.time() >= record["until"]:
            return
        async with self.fenced() as (tx, now):
            if record is None:
                record = {"until": now + max(0.0, seconds)}
                await store.checkpoint(
                    tx, self.tenant_id, self.workflow_id, index=index, name="sleep", output=record, now=now
                )
            parked = now < record["until"]
            if parked:
                await store.suspend(
                    tx,
                    self.tenant_id,
                    self.workflow_id,
                    name=self._run.name,
                    status="sleeping",
                    ready_at=record["until"],
                    now=now,
                )
        self._run.steps[index] = record
        if parked:
            raise Suspended("sleeping", record["until"])

    async def wait_signal(self, name: str, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109 - a durable timeout, not a wall-clock one
        """The payload of signal ``name`` sent to this run; parks the run (``waiting``) until it arrives.
        With ``timeout`` (seconds), returns None once that long has passed without it. The signal is read
        and the run parked under the run's row lock, so a signal sent meanwhile always wakes it."""
        deadline_index, index = self._index(), self._index()
        if index in self._run.steps:
            return self._run.steps[index]
        deadline = self._run.steps.get(deadline_index)
        result: Any = None
        async with self.fenced() as (tx, now):
            if deadline is None:
                deadline = {"until": None if timeout is None else now + timeout}
                await store.checkpoint(
                    tx,
                    self.tenant_id,
                    self.workflow_id,
                    index=deadline_index,
                    name="deadline",
                    output=deadline,
                    now=now,
                )
            found, payload = await store.read_signal(tx, self.tenant_id, self.workflow_id, name)
            parked = not found and (deadline["until"] is None or now < deadline["until"])
            if parked:
                await store.suspend(
                    tx,
                    self.tenant_id,
                    self.workflow_id,
                    name=self._run.name,
                    status="waiting",
                    ready_at=deadline["until"],
                    now=now,
                )
            else:
                result = payload if found else None
                await store.checkpoint(
                    tx, self.tenant_id, self.workflow_id, index=index, name=f"signal:{name}", output=result, now=now
                )
        self._run.steps[deadline_index] = deadline
        if parked:
            raise Suspended("waiting", deadline["until"])
        self._run.steps[index] = result
        return result
