"""Driver invariants over random dependency behaviour: an open breaker sends nothing, and retries
stay within the budget (so a 100% failure burst cannot become a retry storm)."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.resilience import (
    CircuitBreaker,
    CircuitOpen,
    Mode,
    Pipeline,
    Retry,
    RetryBudget,
    RetryBudgetExhausted,
)
from pavedroad.testing import FakeClock

behaviours = st.lists(
    st.tuples(st.sampled_from(["ok", "reset", "boom"]), st.floats(0.0, 3.0), st.floats(0.0, 2.0)),
    min_size=1,
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(
    behaviour=behaviours,
    probes=st.integers(1, 4),
    ratio=st.floats(0.0, 0.5),
    attempts=st.integers(1, 5),
)
def test_open_means_no_call_and_retries_within_budget(
    behaviour: list[tuple[str, float, float]], probes: int, ratio: float, attempts: int
) -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=ratio, min_per_second=0.5, max_tokens=3.0)
    breaker = CircuitBreaker(size=8, minimum_calls=4, wait_open_s=5.0, half_open_probes=probes, slow_call_s=2.0)
    pipeline = Pipeline(
        "dep", clock=clock, breaker=breaker, budget=budget, retry=Retry(max_attempts=attempts), random=lambda: 0.5
    )
    reached = 0
    plan = iter(behaviour * attempts)

    def dependency() -> str:
        nonlocal reached
        reached += 1
        kind, latency, _ = next(plan, ("ok", 0.0, 0.0))
        clock.advance(latency)
        if kind == "reset":
            raise ConnectionResetError
        if kind == "boom":
            raise RuntimeError
        return kind

    start = clock.monotonic()
    for _, _, pause in behaviour:
        clock.advance(pause)
        state = pipeline._breaker
        assert state is not None
        refuses = state.mode is Mode.OPEN and clock.monotonic() - state.opened_at < breaker.wait_open_s
        before = reached
        with contextlib.suppress(CircuitOpen, ConnectionResetError, RuntimeError, RetryBudgetExhausted):
            pipeline.call(dependency, idempotent=True)
        if refuses:
            assert reached == before, "an open breaker let a call reach the dependency"
        assert pipeline.in_flight == 0
    calls = len(behaviour)
    elapsed = clock.monotonic() - start
    retries = pipeline.stats.retries
    assert reached == pipeline.stats.attempts
    assert retries <= budget.max_tokens + ratio * calls + budget.min_per_second * elapsed + 1e-9
