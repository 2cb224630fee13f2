"""Threads and tasks: the pipeline never serialises calls, its breaker still opens, its bulkhead queues."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pavedroad.resilience import Bulkhead, BulkheadFull, CircuitBreaker, CircuitOpen, Mode, Pipeline, Retry
from pavedroad.testing import FakeClock

N = 16


def test_threads_are_not_serialised() -> None:
    """N threads all inside the dependency at once: a lock held during the call would deadlock the barrier."""
    pipeline = Pipeline("dep", bulkhead=Bulkhead(max_concurrent=N))
    barrier = threading.Barrier(N, timeout=10)

    def work() -> int:
        return barrier.wait()

    with ThreadPoolExecutor(N) as pool:
        results = list(pool.map(lambda _: pipeline.call(work), range(N)))
    assert sorted(results) == list(range(N))
    assert pipeline.in_flight == 0


async def test_tasks_are_not_serialised() -> None:
    pipeline = Pipeline("dep", bulkhead=Bulkhead(max_concurrent=N))
    inside = 0
    everyone = asyncio.Event()

    async def work() -> int:
        nonlocal inside
        inside += 1
        if inside == N:
            everyone.set()
        await asyncio.wait_for(everyone.wait(), timeout=10)
        return inside

    results = await asyncio.gather(*(pipeline.acall(work) for _ in range(N)))
    assert results == [N] * N


def test_breaker_opens_under_threads_and_stops_calls() -> None:
    """Unlike a breaker that counts per-thread or never opens, concurrent failures open it, and then
    no thread reaches the dependency."""
    clock = FakeClock()
    pipeline = Pipeline("dep", clock=clock, breaker=CircuitBreaker(size=20, minimum_calls=20, wait_open_s=60))
    reached = 0
    lock = threading.Lock()

    def failing() -> None:
        nonlocal reached
        with lock:
            reached += 1
        raise RuntimeError("down")

    def one(_: int) -> str:
        try:
            pipeline.call(failing)
        except CircuitOpen:
            return "refused"
        except RuntimeError:
            return "failed"
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(one, range(400)))
    assert pipeline.mode is Mode.OPEN
    assert outcomes.count("failed") == reached
    assert reached <= 20 + 8  # the window, plus calls already admitted when it opened
    assert outcomes.count("refused") == 400 - reached


async def test_breaker_opens_for_async_callables() -> None:
    """pybreaker never opens on ``async def``; this one does."""
    pipeline = Pipeline("dep", breaker=CircuitBreaker(size=10, minimum_calls=10))
    reached = 0

    async def failing() -> None:
        nonlocal reached
        reached += 1
        await asyncio.sleep(0)
        raise RuntimeError("down")

    results = []
    for _ in range(10):  # waves of five concurrent calls
        results += await asyncio.gather(*(pipeline.acall(failing) for _ in range(5)), return_exceptions=True)
    assert pipeline.mode is Mode.OPEN
    assert reached == 10  # two waves fill the window; every later call is refused
    assert sum(isinstance(r, CircuitOpen) for r in results) == 40


def test_queued_threads_get_freed_slots_in_order() -> None:
    pipeline = Pipeline("dep", bulkhead=Bulkhead(max_concurrent=1, max_queue=4, max_wait_s=10))
    release = threading.Event()
    order: list[int] = []
    started = threading.Barrier(2, timeout=10)

    def first() -> None:
        started.wait()
        release.wait(10)

    holder = threading.Thread(target=pipeline.call, args=(first,))
    holder.start()
    started.wait()
    waiters = []
    for i in range(3):
        t = threading.Thread(target=pipeline.call, args=(lambda i=i: order.append(i),))
        t.start()
        waiters.append(t)
        while pipeline.queued < i + 1:
            threading.Event().wait(0.001)
    release.set()
    for t in [holder, *waiters]:
        t.join(10)
    assert order == [0, 1, 2]
    assert (pipeline.in_flight, pipeline.queued) == (0, 0)


def test_a_queued_thread_gives_up_after_max_wait() -> None:
    pipeline = Pipeline("dep", bulkhead=Bulkhead(max_concurrent=1, max_queue=1, max_wait_s=0.01))
    release = threading.Event()
    holder = threading.Thread(target=pipeline.call, args=(lambda: release.wait(10),))
    holder.start()
    while pipeline.in_flight < 1:
        threading.Event().wait(0.001)
    with pytest.raises(BulkheadFull):
        pipeline.call(lambda: None)
    release.set()
    holder.join(10)
    assert (pipeline.in_flight, pipeline.queued) == (0, 0)
    assert pipeline.stats.calls["bulkhead_full"] == 1


async def test_queued_tasks_wait_for_a_slot() -> None:
    pipeline = Pipeline("dep", bulkhead=Bulkhead(max_concurrent=2, max_queue=10, max_wait_s=10))
    inside = 0
    peak = 0

    async def work() -> None:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0.001)
        inside -= 1

    await asyncio.gather(*(pipeline.acall(work) for _ in range(10)))
    assert peak == 2
    assert (pipeline.in_flight, pipeline.queued) == (0, 0)


async def test_a_cancelled_queued_task_frees_its_place() -> None:
    pipeline = Pipeline("dep", bulkhead=Bulkhead(max_concurrent=1, max_queue=1, max_wait_s=10))
    gate = asyncio.Event()
    holder = asyncio.create_task(pipeline.acall(gate.wait))
    await asyncio.sleep(0)
    queued = asyncio.create_task(pipeline.acall(asyncio.sleep, 0))
    await asyncio.sleep(0)
    assert pipeline.queued == 1
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    gate.set()
    await holder
    assert (pipeline.in_flight, pipeline.queued) == (0, 0)


async def test_async_attempts_are_cancelled_at_their_timeout_and_retried() -> None:
    """A hung coroutine is cancelled at the attempt timeout; the retry succeeds."""
    pipeline = Pipeline("dep", attempt_timeout_s=0.05, retry=Retry(max_attempts=2, base_delay_s=0))
    calls = 0

    async def hangs_once() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(60)
        return "second"

    assert await pipeline.acall(hangs_once, idempotent=True) == "second"
    assert calls == 2
    assert pipeline.stats.calls["success"] == 1


async def test_outside_cancellation_is_not_a_timeout() -> None:
    pipeline = Pipeline("dep", attempt_timeout_s=30)
    task = asyncio.create_task(pipeline.acall(asyncio.sleep, 60))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert pipeline.in_flight == 0
    assert sum(pipeline.stats.calls.values()) == 0
