"""Hedging: a slow attempt is raced by a copy; the first acceptable answer wins, the rest are cancelled."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pavedroad.resilience import Hedging, HttpClassifier, Pipeline, ResilientTransport, Retry, RetryBudget
from pavedroad.testing import ScriptedTransport, Step


def hedged_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline("search", hedging=Hedging(delay_s=0.01, max_hedges=2), **kwargs)  # type: ignore[arg-type]


async def test_a_slow_attempt_is_overtaken_by_its_hedge() -> None:
    pipeline = hedged_pipeline()
    started: list[int] = []
    cancelled: list[int] = []

    async def search() -> str:
        copy = len(started)
        started.append(copy)
        if copy == 0:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.append(copy)
                raise
        return f"copy {copy}"

    assert await pipeline.acall(search, idempotent=True) == "copy 1"
    assert started == [0, 1]
    assert cancelled == [0]
    assert pipeline.stats.hedges == 1
    assert pipeline.stats.calls["success"] == 1


async def test_non_idempotent_calls_are_never_hedged() -> None:
    pipeline = hedged_pipeline()
    started = 0

    async def charge() -> str:
        nonlocal started
        started += 1
        await asyncio.sleep(0.05)
        return "charged once"

    assert await pipeline.acall(charge) == "charged once"
    assert started == 1


async def test_hedges_need_retry_budget() -> None:
    pipeline = hedged_pipeline(budget=RetryBudget(ratio=0.0, min_per_second=0.0, max_tokens=1.0, initial_tokens=0.0))
    started = 0

    async def slow() -> str:
        nonlocal started
        started += 1
        await asyncio.sleep(0.05)
        return "only copy"

    assert await pipeline.acall(slow, idempotent=True) == "only copy"
    assert started == 1
    assert pipeline.stats.hedges == 0


async def test_when_every_copy_fails_the_last_failure_stands() -> None:
    pipeline = hedged_pipeline(retry=Retry(max_attempts=1))
    all_started = asyncio.Event()
    started = 0

    async def broken() -> str:
        nonlocal started
        started += 1
        if started == 3:
            all_started.set()
        await asyncio.wait_for(all_started.wait(), timeout=10)  # nobody fails before both hedges run
        raise ConnectionResetError("reset")

    with pytest.raises(ConnectionResetError):
        await pipeline.acall(broken, idempotent=True)
    assert started == 3
    assert pipeline.stats.hedges == 2


async def test_hedged_http_requests_take_the_fast_answer() -> None:
    scripted = ScriptedTransport(Step(200, latency_s=30.0, json={"copy": 0}), Step(200, json={"copy": 1}), then=200)
    pipeline = Pipeline("search", hedging=Hedging(delay_s=0.01), classifier=HttpClassifier())
    async with httpx.AsyncClient(transport=ResilientTransport(pipeline, scripted)) as client:
        response = await client.get("http://search.test/q")
    assert response.json() == {"copy": 1}
    assert scripted.calls == 2


def test_invalid_hedging_is_refused() -> None:
    with pytest.raises(ValueError):
        Hedging(max_hedges=0)
