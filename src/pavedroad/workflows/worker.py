"""The worker: claim due runs from Postgres, replay each to its last checkpoint, execute what follows.

Guarantee: a run is executed only under a lease this worker holds (``claims.claim``) and only with the
code version it started with (the worker claims only the ``name@version``s it has registered); a run
ends ``succeeded`` or ``failed``, or parks ``sleeping``/``waiting`` and frees its slot. Any crash (the
process SIGKILLed at any instruction) leaves a lease that expires, after which another worker resumes
the run after its last checkpoint. Logs carry names, ids and error types, never inputs, outputs or
error messages (they may hold personal values; the run's ``error`` column keeps the message).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from types import TracebackType
from typing import Any

import httpx
import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from pavedroad import resilience, tenancy
from pavedroad.clock import Clock, SystemClock
from pavedroad.workflows import store
from pavedroad.workflows.claims import WORKER_ROLE, Claim, claim
from pavedroad.workflows.context import Suspended, WorkflowContext
from pavedroad.workflows.definitions import Registry

__all__ = ["Worker"]

log = structlog.get_logger("pavedroad.workflows")


class Worker:
    """Executes runs of ``registry``'s workflows. ``pool``: ``pavedroad_app`` connections (tenant work);
    ``owner_url``: a user that may ``SET ROLE pavedroad_workflows`` (claims). Use ``async with``."""

    def __init__(
        self,
        registry: Registry,
        pool: AsyncConnectionPool,
        owner_url: str,
        *,
        clock: Clock | None = None,
        lease_s: float = 30.0,
        max_runs: int = 16,
        worker_id: str | None = None,
    ) -> None:
        self.registry = registry
        self.pool = pool
        self.owner_url = owner_url
        self.clock: Clock = clock or SystemClock()
        self.lease_s = lease_s
        self.max_runs = max_runs
        self.worker_id = worker_id or f"w-{secrets.token_hex(6)}"
        self._conn: psycopg.AsyncConnection | None = None
        self._clients: dict[str, httpx.AsyncClient] = {}  # noqa: TID251 - built by resilience.async_client

    async def _connect(self) -> None:
        self._conn = await psycopg.AsyncConnection.connect(self.owner_url)
        await self._conn.execute(f"set role {WORKER_ROLE}")
        await self._conn.commit()

    async def __aenter__(self) -> Worker:
        await self._connect()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for client in self._clients.values():
            await client.aclose()
        if self._conn is not None:
            await self._conn.close()

    def _client(self, dependency: str) -> httpx.AsyncClient:  # noqa: TID251 - built by resilience.async_client
        if dependency not in self._clients:
            self._clients[dependency] = resilience.async_client(dependency)
        return self._clients[dependency]

    async def claim(self, max_runs: int | None = None) -> list[Claim]:
        """Lease due runs (round-robin over tenants, within each queue's per-tenant limit)."""
        if self._conn is None:
            raise RuntimeError("use the worker as `async with Worker(...)`")
        known = [f"{wf.name}@{wf.version}" for wf in self.registry]
        limits = {wf.queue.name: wf.queue.concurrency for wf in self.registry}
        return await claim(
            self._conn,
            owner=self.worker_id,
            known=known,
            limits=limits,
            now=self.clock.time(),
            lease_s=self.lease_s,
            max_runs=self.max_runs if max_runs is None else max_runs,
        )

    async def run_once(self) -> int:
        """Claim what is due and drive each claimed run until it ends or parks; returns how many ran."""
        claims = await self.claim()
        outcomes = await asyncio.gather(*(self.execute(c) for c in claims), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                # The run keeps its lease until it expires, then another attempt resumes it.
                log.warning("workflows.attempt_aborted", error_type=type(outcome).__name__)
        return len(claims)

    async def run(self, stop: asyncio.Event, *, poll_s: float = 0.2) -> None:
        """Work until ``stop`` is set, polling every ``poll_s`` seconds when nothing is due."""
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end the worker
                log.warning("workflows.claim_failed", error_type=type(exc).__name__)
                ran = 0
                if self._conn is None or self._conn.closed:
                    with contextlib.suppress(psycopg.OperationalError):
                        await self._connect()
            if ran == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_s)

    async def execute(self, leased: Claim) -> None:
        """Resume one leased run from its checkpoints."""
        principal = tenancy.Principal(leased.tenant_id, None, tenancy.Role.ADMIN)
        async with tenancy.atransaction(self.pool, principal) as tx:
            run = await store.begin_attempt(tx, leased.tenant_id, leased.workflow_id, self.worker_id, self.clock.time())
        if run is None:
            return
        wf = self.registry.get(run.name, run.version)
        ctx = WorkflowContext(
            self.pool, run, owner=self.worker_id, clock=self.clock, lease_s=self.lease_s, client=self._client
        )
        output: Any = None
        error: str | None = None
        try:
            output = await wf.fn(ctx, run.input)
        except (Suspended, store.LeaseLost):
            return
        except Exception as exc:  # noqa: BLE001 - any failure of user code fails the run, recorded not raised
            error = f"{type(exc).__name__}: {exc}"
            log.warning("workflows.run_failed", workflow=run.name, version=run.version, error_type=type(exc).__name__)
        try:
            async with ctx.fenced() as (tx, now):
                await store.finish(
                    tx, run.tenant_id, run.workflow_id, name=run.name, output=output, error=error, now=now
                )
        except store.LeaseLost:
            return
