"""Regression tests for the failure modes other engines' trackers report: concurrent starts with one id
all running, recovery running completed or queued work twice, a concurrency-1 queue stuck after a crash,
and a large tenant starving the others."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad import workflows
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import FakeClock, TestDatabase
from tests.integration.workflows.conftest import ACME, GLOBEX

LEASE = 30.0


class Crash(BaseException):
    """Stands for the process dying mid-run: nothing after it runs, the lease stays behind."""


def _counting(queue: workflows.Queue, executed: Counter[str], crash_once: set[str]) -> workflows.Registry:
    registry = workflows.Registry()

    @registry.workflow("count", queue=queue)
    async def count(ctx: workflows.WorkflowContext, _: object) -> int:
        async def effect(step: int) -> int:
            executed[f"{ctx.workflow_id}/{step}"] += 1
            return step

        total = 0
        for step in range(3):
            total += await ctx.step("effect", effect, step)
            if step == 1 and ctx.workflow_id in crash_once:
                crash_once.discard(ctx.workflow_id)
                raise Crash
        return total

    return registry


async def _drain(worker: workflows.Worker) -> None:
    while await worker.run_once():
        pass


async def test_concurrent_starts_with_one_id_run_once(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    executed: Counter[str] = Counter()
    registry = _counting(workflows.DEFAULT_QUEUE, executed, set())
    starts = await asyncio.gather(
        *(workflows.start(app_pool, ACME, registry, "count", "dup", clock=clock) for _ in range(10))
    )
    assert sum(s.created for s in starts) == 1
    async with (
        workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as one,
        workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as two,
    ):
        claimed = await asyncio.gather(one.claim(), two.claim())
        assert sorted(len(c) for c in claimed) == [0, 1]
        await asyncio.gather(*(w.execute(c) for w, cs in zip((one, two), claimed, strict=True) for c in cs))
    assert executed == Counter({"dup/0": 1, "dup/1": 1, "dup/2": 1})


async def test_recovery_resumes_after_the_last_checkpoint_and_never_runs_work_twice(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    """A worker dies after step 1 of one run while holding another run it had not started: after the lease
    expires another worker finishes both; no completed step runs again, no queued run runs twice, and the
    dead worker's stale claim commits nothing when it comes back."""
    executed: Counter[str] = Counter()
    registry = _counting(workflows.DEFAULT_QUEUE, executed, {"r:1"})
    for wid in ("r:1", "r:2"):
        await workflows.start(app_pool, ACME, registry, "count", wid, clock=clock)
    async with (
        workflows.Worker(registry, app_pool, database.owner_url, clock=clock, lease_s=LEASE) as dying,
        workflows.Worker(registry, app_pool, database.owner_url, clock=clock, lease_s=LEASE) as rescuer,
    ):
        first, second = sorted(await dying.claim(), key=lambda c: c.workflow_id)
        with pytest.raises(Crash):
            await dying.execute(first)
        assert await rescuer.claim() == []  # both leases are still live
        clock.advance(LEASE)
        await _drain(rescuer)
        await dying.execute(second)  # the stale claim: its lease was taken over
    assert executed == Counter({f"r:{n}/{s}": 1 for n in (1, 2) for s in range(3)})
    runs = {r["workflow_id"]: r for r in await workflows.list_runs(app_pool, ACME)}
    assert {w: (r["status"], r["attempts"]) for w, r in runs.items()} == {
        "r:1": ("succeeded", 2),
        "r:2": ("succeeded", 1),
    }


async def test_a_concurrency_one_queue_never_gets_stuck(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    """One run of a tenant at a time; a crashed run frees its slot when its lease expires, and the queue
    drains completely."""
    executed: Counter[str] = Counter()
    registry = _counting(workflows.Queue("serial", concurrency=1), executed, {"s:0"})
    for n in range(3):
        await workflows.start(app_pool, ACME, registry, "count", f"s:{n}", clock=clock)
    async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock, lease_s=LEASE) as worker:
        claimed = await worker.claim()
        assert [c.workflow_id for c in claimed] == ["s:0"]
        with pytest.raises(Crash):
            await worker.execute(claimed[0])
        assert await worker.claim() == []  # the slot is held by the crashed run's live lease
        clock.advance(LEASE)
        await _drain(worker)
    statuses = {r["workflow_id"]: r["status"] for r in await workflows.list_runs(app_pool, ACME)}
    assert statuses == {"s:0": "succeeded", "s:1": "succeeded", "s:2": "succeeded"}
    assert set(executed.values()) == {1}


async def test_a_parked_run_frees_its_slot(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    registry = workflows.Registry()

    @registry.workflow("nap", queue=workflows.Queue("serial", concurrency=1))
    async def nap(ctx: workflows.WorkflowContext, _: object) -> None:
        await ctx.sleep(60)

    for n in range(2):
        await workflows.start(app_pool, ACME, registry, "nap", f"n:{n}", clock=clock)
    async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as worker:
        assert await worker.run_once() == 1
        assert await worker.run_once() == 1  # the first sleeps without holding the slot
    assert {r["status"] for r in await workflows.list_runs(app_pool, ACME)} == {"sleeping"}


async def test_concurrent_claimers_respect_the_per_tenant_limit(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    registry = _counting(workflows.Queue("pair", concurrency=2), Counter(), set())
    for n in range(6):
        await workflows.start(app_pool, ACME, registry, "count", f"p:{n}", clock=clock)
    workers = [workflows.Worker(registry, app_pool, database.owner_url, clock=clock) for _ in range(4)]
    for w in workers:
        await w.__aenter__()
    try:
        claimed = await asyncio.gather(*(w.claim() for w in workers))
    finally:
        for w in workers:
            await w.__aexit__(None, None, None)
    assert sum(len(c) for c in claimed) == 2


async def test_a_large_tenant_cannot_starve_the_others(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    """Claims go round-robin over tenants: a tenant with a deep backlog queued first gets no more than
    its turn, and each tenant's limit applies to that tenant alone."""
    registry = _counting(workflows.Queue("fair", concurrency=3), Counter(), set())
    initech = Principal("initech", None, Role.ADMIN)
    for n in range(30):
        await workflows.start(app_pool, ACME, registry, "count", f"big:{n}", clock=clock)
    clock.advance(1)
    for principal in (GLOBEX, initech):
        await workflows.start(app_pool, principal, registry, "count", "small", clock=clock)
    async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock, max_runs=3) as worker:
        first = await worker.claim()
        rest = await worker.claim(max_runs=10)
    assert Counter(c.tenant_id for c in first) == Counter({"acme": 1, "globex": 1, "initech": 1})
    assert Counter(c.tenant_id for c in rest) == Counter({"acme": 2})


async def test_a_worker_that_lost_its_lease_commits_nothing(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    """A worker stalled past its lease (a long GC pause, a partition) finishes its step after another
    worker took the run over: its checkpoint is refused, the new owner's result stands."""
    registry = workflows.Registry()
    names = {1: "w-slow", 2: "w-fast"}
    gates = {name: asyncio.Event() for name in names.values()}
    entered = {name: asyncio.Event() for name in names.values()}

    @registry.workflow("stall")
    async def stall(ctx: workflows.WorkflowContext, _: object) -> str:
        async def who() -> str:
            owner = names[ctx.attempt]
            entered[owner].set()
            await gates[owner].wait()
            return owner

        return str(await ctx.step("who", who))

    await workflows.start(app_pool, ACME, registry, "stall", "st:1", clock=clock)
    async with (
        workflows.Worker(
            registry, app_pool, database.owner_url, clock=clock, lease_s=LEASE, worker_id="w-slow"
        ) as slow,
        workflows.Worker(
            registry, app_pool, database.owner_url, clock=clock, lease_s=LEASE, worker_id="w-fast"
        ) as fast,
    ):
        slow_run = asyncio.create_task(slow.run_once())
        await entered["w-slow"].wait()
        clock.advance(LEASE)
        fast_run = asyncio.create_task(fast.run_once())
        await entered["w-fast"].wait()
        gates["w-slow"].set()
        await slow_run
        gates["w-fast"].set()
        await fast_run
    run = await workflows.get(app_pool, ACME, "st:1")
    assert (run["status"], run["output"], [s["output"] for s in run["steps"]]) == ("succeeded", "w-fast", ["w-fast"])
