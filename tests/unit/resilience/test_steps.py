"""The sans-IO core on its own: the steps a call yields, driven by hand, with no I/O and a fake clock."""

from __future__ import annotations

import pytest

from pavedroad.resilience import Bulkhead, BulkheadFull, CircuitBreaker, Pipeline, RateLimit, Retry, RetryBudget
from pavedroad.resilience.core import thread_waiter
from pavedroad.resilience.steps import Attempt, Queue, Sleep, Step
from pavedroad.testing import FakeClock


def _pipeline(**overrides: object) -> Pipeline:
    settings: dict[str, object] = {
        "clock": FakeClock(),
        "retry": Retry(max_attempts=3, base_delay_s=1.0),
        "random": lambda: 0.5,
        "attempt_timeout_s": 2.0,
        "deadline_s": 10.0,
    }
    settings.update(overrides)
    return Pipeline("dep", **settings)  # type: ignore[arg-type]


def _kinds(steps: list[Step]) -> list[str]:
    return [type(step).__name__ for step in steps]


def test_a_retried_failure_yields_attempt_sleep_attempt_and_the_last_answer_is_the_result() -> None:
    pipeline = _pipeline()
    seen: list[Step] = []
    for step in pipeline._steps(True, None, False, thread_waiter):
        seen.append(step)
        if isinstance(step, Attempt):
            if len(seen) == 1:
                step.error = ConnectionError("refused")
            else:
                step.result = "ok"
    assert _kinds(seen) == ["Attempt", "Sleep", "Attempt"]
    first, pause, second = seen
    assert isinstance(first, Attempt)
    assert first.timeout_s == pytest.approx(2.0)
    assert isinstance(pause, Sleep)
    assert pause.seconds == pytest.approx(0.5)
    assert isinstance(second, Attempt)
    assert second.result == "ok"
    assert pipeline.in_flight == 0
    assert pipeline.stats.retries == 1


def test_a_non_idempotent_failure_is_raised_out_of_the_steps_after_one_attempt() -> None:
    pipeline = _pipeline()
    steps = pipeline._steps(False, None, False, thread_waiter)
    attempt = next(steps)
    assert isinstance(attempt, Attempt)
    attempt.error = ConnectionError("refused")
    with pytest.raises(ConnectionError):
        next(steps)
    assert pipeline.in_flight == 0


def test_a_rate_limit_reservation_is_a_sleep_before_the_attempt() -> None:
    pipeline = _pipeline(rate_limit=RateLimit(per_second=1.0, burst=1, max_wait_s=5.0), budget=RetryBudget())
    pipeline.call(lambda: "first")  # takes the burst
    steps = pipeline._steps(True, None, False, thread_waiter)
    pause = next(steps)
    assert isinstance(pause, Sleep)
    assert pause.seconds > 0
    assert isinstance(next(steps), Attempt)


def test_a_cancellation_thrown_into_an_attempt_frees_the_slot_and_propagates() -> None:
    pipeline = _pipeline(breaker=CircuitBreaker())
    steps = pipeline._steps(True, None, False, thread_waiter)
    assert isinstance(next(steps), Attempt)
    assert pipeline.in_flight == 1
    with pytest.raises(KeyboardInterrupt):
        steps.throw(KeyboardInterrupt())
    assert pipeline.in_flight == 0


def test_a_full_bulkhead_yields_a_queue_step_and_a_refused_wait_is_a_refusal() -> None:
    pipeline = _pipeline(bulkhead=Bulkhead(max_concurrent=1, max_queue=1, max_wait_s=1.0))
    holder = pipeline._steps(True, None, False, thread_waiter)
    assert isinstance(next(holder), Attempt)
    waiting = pipeline._steps(True, None, False, thread_waiter)
    queue = next(waiting)
    assert isinstance(queue, Queue)
    assert queue.patience_s == pytest.approx(1.0)
    assert pipeline.queued == 1
    queue.granted = False
    with pytest.raises(BulkheadFull):
        next(waiting)
    assert pipeline.queued == 0
