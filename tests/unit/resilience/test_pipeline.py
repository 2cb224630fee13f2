"""The pipeline's guarantees, each checked on the sync and on the async driver with a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pavedroad.resilience import (
    Bulkhead,
    BulkheadFull,
    CircuitBreaker,
    CircuitOpen,
    DeadlineExceeded,
    Mode,
    Pipeline,
    RateLimit,
    RateLimited,
    Retry,
    RetryBudget,
    RetryBudgetExhausted,
    add_listener,
    deadline,
    remaining,
    remove_listener,
)
from pavedroad.testing import FakeClock

MODES = ["sync", "async"]


class Dependency:
    """A callable that plays a script of results and exceptions, counting the calls that reach it."""

    def __init__(self, *script: Any, then: Any = "ok", clock: FakeClock | None = None, latency: float = 0.0) -> None:
        self.script = list(script)
        self.then = then
        self.calls = 0
        self.clock = clock
        self.latency = latency
        self.seen_remaining: list[float | None] = []

    def __call__(self) -> Any:
        self.calls += 1
        now = self.clock.monotonic if self.clock else None
        self.seen_remaining.append(remaining(now=now) if now else None)
        if self.clock and self.latency:
            self.clock.advance(self.latency)
        item = self.script.pop(0) if self.script else self.then
        if isinstance(item, BaseException):
            raise item
        return item


def invoke(pipeline: Pipeline, mode: str, fn: Callable[[], Any], **kwargs: Any) -> Any:
    if mode == "sync":
        return pipeline.call(fn, **kwargs)

    async def afn() -> Any:
        return fn()

    return asyncio.run(pipeline.acall(afn, **kwargs))


def make(clock: FakeClock, **kwargs: Any) -> Pipeline:
    kwargs.setdefault("retry", Retry(max_attempts=3, base_delay_s=0.1))
    kwargs.setdefault("breaker", CircuitBreaker(size=10, minimum_calls=4, wait_open_s=10))
    return Pipeline("dep", clock=clock, random=lambda: 0.5, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.mark.parametrize("mode", MODES)
def test_success_passes_through(mode: str, clock: FakeClock) -> None:
    pipeline = make(clock)
    assert invoke(pipeline, mode, Dependency(then=42)) == 42
    assert pipeline.stats.calls["success"] == 1
    assert pipeline.in_flight == 0


@pytest.mark.parametrize("mode", MODES)
def test_idempotent_calls_are_retried_with_backoff(mode: str, clock: FakeClock) -> None:
    dep = Dependency(ConnectionResetError(), ConnectionResetError(), then="ok")
    pipeline = make(clock)
    before = clock.monotonic()
    assert invoke(pipeline, mode, dep, idempotent=True) == "ok"
    assert dep.calls == 3
    # full jitter with random()=0.5: 0.05 after the first failure, 0.1 after the second
    assert clock.monotonic() - before == pytest.approx(0.15)
    assert (pipeline.stats.attempts, pipeline.stats.retries) == (3, 2)


@pytest.mark.parametrize("mode", MODES)
def test_non_idempotent_calls_are_not_retried(mode: str, clock: FakeClock) -> None:
    dep = Dependency(ConnectionResetError(), then="ok")
    with pytest.raises(ConnectionResetError):
        invoke(make(clock), mode, dep)
    assert dep.calls == 1


@pytest.mark.parametrize("mode", MODES)
def test_refused_connections_are_retried_for_any_call(mode: str, clock: FakeClock) -> None:
    """Nothing was sent, so even a non-idempotent call may go again."""
    dep = Dependency(ConnectionRefusedError(), then="ok")
    assert invoke(make(clock), mode, dep) == "ok"
    assert dep.calls == 2


@pytest.mark.parametrize("mode", MODES)
def test_unlisted_errors_are_not_retried(mode: str, clock: FakeClock) -> None:
    dep = Dependency(ValueError("bad input"), then="ok")
    with pytest.raises(ValueError):
        invoke(make(clock), mode, dep, idempotent=True)
    assert dep.calls == 1


@pytest.mark.parametrize("mode", MODES)
def test_attempts_are_bounded(mode: str, clock: FakeClock) -> None:
    dep = Dependency(then=ConnectionResetError())
    with pytest.raises(ConnectionResetError):
        invoke(make(clock), mode, dep, idempotent=True)
    assert dep.calls == 3


@pytest.mark.parametrize("mode", MODES)
def test_open_breaker_fails_fast_without_calling(mode: str, clock: FakeClock) -> None:
    dep = Dependency(then=RuntimeError("down"))
    pipeline = make(clock)
    for _ in range(4):
        with pytest.raises(RuntimeError):
            invoke(pipeline, mode, dep)
    assert pipeline.mode is Mode.OPEN
    with pytest.raises(CircuitOpen) as refused:
        invoke(pipeline, mode, dep)
    assert dep.calls == 4
    assert refused.value.status == 503
    assert refused.value.to_dict()["retry_after_s"] == pytest.approx(10.0)
    assert pipeline.stats.calls["circuit_open"] == 1


@pytest.mark.parametrize("mode", MODES)
def test_breaker_recovers_through_half_open(mode: str, clock: FakeClock) -> None:
    dep = Dependency(*[RuntimeError("down")] * 4, then="ok")
    pipeline = make(clock, breaker=CircuitBreaker(size=10, minimum_calls=4, wait_open_s=10, half_open_probes=2))
    for _ in range(4):
        with pytest.raises(RuntimeError):
            invoke(pipeline, mode, dep)
    clock.advance(10)
    assert invoke(pipeline, mode, dep) == "ok"
    assert pipeline.mode is Mode.HALF_OPEN
    assert invoke(pipeline, mode, dep) == "ok"
    assert pipeline.mode is Mode.CLOSED  # type: ignore[comparison-overlap]  # mypy keeps the narrowing across the call
    transitions = pipeline.stats.transitions
    assert transitions == {("closed", "open"): 1, ("open", "half_open"): 1, ("half_open", "closed"): 1}


@pytest.mark.parametrize("mode", MODES)
def test_breaker_opening_mid_retry_delivers_the_last_result(mode: str, clock: FakeClock) -> None:
    """When the breaker opens between attempts, the caller gets the dependency's own error."""
    dep = Dependency(then=ConnectionResetError("reset"))
    pipeline = make(clock, breaker=CircuitBreaker(size=2, minimum_calls=2, wait_open_s=10))
    with pytest.raises(ConnectionResetError):
        invoke(pipeline, mode, dep, idempotent=True)
    assert dep.calls == 2
    assert pipeline.mode is Mode.OPEN


@pytest.mark.parametrize("mode", MODES)
def test_force_open_and_reset(mode: str, clock: FakeClock) -> None:
    pipeline = make(clock)
    dep = Dependency()
    pipeline.force_open()
    with pytest.raises(CircuitOpen):
        invoke(pipeline, mode, dep)
    pipeline.reset()
    assert invoke(pipeline, mode, dep) == "ok"
    assert dep.calls == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_passed_deadline_refuses_before_anything(mode: str, clock: FakeClock) -> None:
    dep = Dependency()
    with deadline(0.0, now=clock.monotonic), pytest.raises(DeadlineExceeded):
        invoke(make(clock), mode, dep)
    assert dep.calls == 0


@pytest.mark.parametrize("mode", MODES)
def test_the_attempt_sees_the_tightest_deadline(mode: str, clock: FakeClock) -> None:
    dep = Dependency(clock=clock)
    pipeline = make(clock, deadline_s=30.0, attempt_timeout_s=5.0)
    invoke(pipeline, mode, dep)
    with deadline(2.0, now=clock.monotonic):
        invoke(pipeline, mode, dep)
    assert dep.seen_remaining == [pytest.approx(5.0), pytest.approx(2.0)]


@pytest.mark.parametrize("mode", MODES)
def test_retries_stop_when_the_next_wait_would_cross_the_deadline(mode: str, clock: FakeClock) -> None:
    dep = Dependency(then=ConnectionResetError(), clock=clock, latency=0.4)
    pipeline = make(clock, deadline_s=1.0, retry=Retry(max_attempts=10, base_delay_s=0.2, max_delay_s=0.2))
    with pytest.raises(ConnectionResetError):
        invoke(pipeline, mode, dep, idempotent=True)
    assert dep.calls == 2  # 0.4 + 0.1 + 0.4 = 0.9; one more wait would cross 1.0


@pytest.mark.parametrize("mode", MODES)
def test_empty_budget_raises_retry_budget_exhausted(mode: str, clock: FakeClock) -> None:
    dep = Dependency(then=ConnectionResetError())
    budget = RetryBudget(ratio=0.0, min_per_second=0.0, max_tokens=1.0, initial_tokens=1.0)
    pipeline = make(clock, budget=budget, breaker=None, retry=Retry(max_attempts=2))
    with pytest.raises(ConnectionResetError):
        invoke(pipeline, mode, dep, idempotent=True)  # the one token buys the second attempt
    assert dep.calls == 2
    with pytest.raises(RetryBudgetExhausted) as exhausted:
        invoke(pipeline, mode, dep, idempotent=True)
    assert isinstance(exhausted.value.__cause__, ConnectionResetError)
    assert dep.calls == 3
    assert pipeline.stats.budget_exhausted == 1


@pytest.mark.parametrize("mode", MODES)
def test_full_bulkhead_refuses(mode: str, clock: FakeClock) -> None:
    pipeline = make(clock, bulkhead=Bulkhead(max_concurrent=1, max_queue=0))
    inner = Dependency()

    def reentrant() -> Any:
        with pytest.raises(BulkheadFull):
            pipeline.call(inner)  # the outer call holds the only slot
        return "outer"

    assert invoke(pipeline, mode, reentrant) == "outer"
    assert inner.calls == 0
    assert pipeline.stats.calls["bulkhead_full"] == 1
    assert pipeline.in_flight == 0


@pytest.mark.parametrize("mode", MODES)
def test_rate_limit_refuses_without_a_token(mode: str, clock: FakeClock) -> None:
    pipeline = make(clock, rate_limit=RateLimit(per_second=1.0, burst=1.0, max_wait_s=0.0))
    dep = Dependency()
    invoke(pipeline, mode, dep)
    with pytest.raises(RateLimited):
        invoke(pipeline, mode, dep)
    clock.advance(1.0)
    invoke(pipeline, mode, dep)
    assert dep.calls == 2


@pytest.mark.parametrize("mode", MODES)
def test_rate_limit_waits_within_max_wait(mode: str, clock: FakeClock) -> None:
    pipeline = make(clock, rate_limit=RateLimit(per_second=2.0, burst=1.0, max_wait_s=1.0))
    dep = Dependency()
    invoke(pipeline, mode, dep)
    before = clock.monotonic()
    invoke(pipeline, mode, dep)
    assert clock.monotonic() - before == pytest.approx(0.5)


@pytest.mark.parametrize("mode", MODES)
def test_listeners_hear_every_call_once(mode: str, clock: FakeClock) -> None:
    heard: list[tuple[str, str, float]] = []
    listener = add_listener(lambda dep, outcome, latency: heard.append((dep, outcome, latency)))
    try:
        pipeline = make(clock)
        invoke(pipeline, mode, Dependency(ConnectionResetError(), clock=clock, latency=0.25), idempotent=True)
        pipeline.force_open()
        with pytest.raises(CircuitOpen):
            invoke(pipeline, mode, Dependency())
    finally:
        remove_listener(listener)
    assert [(d, o) for d, o, _ in heard] == [("dep", "success"), ("dep", "circuit_open")]
    assert heard[0][2] == pytest.approx(0.25 + 0.05 + 0.25)


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_listener_never_fails_the_call(mode: str, clock: FakeClock) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("observer bug")

    add_listener(broken)
    try:
        assert invoke(make(clock), mode, Dependency(then=1)) == 1
    finally:
        remove_listener(broken)


@pytest.mark.parametrize("mode", MODES)
def test_timeouts_are_counted_as_timeouts(mode: str, clock: FakeClock) -> None:
    pipeline = make(clock)
    with pytest.raises(TimeoutError):
        invoke(pipeline, mode, Dependency(then=TimeoutError()))
    assert pipeline.stats.calls["timeout"] == 1
