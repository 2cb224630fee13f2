"""The circuit breaker's state machine, transition by transition, on an injected clock."""

from __future__ import annotations

from typing import Any

import pytest

from pavedroad.resilience import CircuitBreaker, Mode, Outcome

FAIL, OK = Outcome(True), Outcome(False)


def feed(policy: CircuitBreaker, outcomes: list[Outcome], now: float = 0.0):
    state = policy.initial()
    for outcome in outcomes:
        state, permitted = policy.acquire(state, now)
        assert permitted
        state = policy.on_result(state, now, outcome)
    return state


def opened(policy: CircuitBreaker, now: float = 0.0):
    state = feed(policy, [FAIL] * policy.minimum_calls, now)
    assert state.mode is Mode.OPEN
    return state


def test_closed_stays_closed_below_the_failure_rate() -> None:
    """49% failures over the minimum number of calls do not open a 50% breaker."""
    policy = CircuitBreaker(size=100, minimum_calls=100, failure_rate=0.5)
    state = feed(policy, [FAIL] * 49 + [OK] * 51)
    assert state.mode is Mode.CLOSED
    assert (state.window.calls, state.window.failures) == (100, 49)


def test_closed_opens_at_the_failure_rate() -> None:
    """The breaker opens when the failure rate reaches the threshold (equal counts)."""
    policy = CircuitBreaker(size=10, minimum_calls=10, failure_rate=0.5)
    state = feed(policy, [OK] * 5 + [FAIL] * 4)
    assert state.mode is Mode.CLOSED
    state = policy.on_result(state, 0.0, FAIL)
    assert state.mode is Mode.OPEN


def test_no_decision_before_minimum_calls() -> None:
    """Nine straight failures do not open a breaker that needs ten calls to judge."""
    policy = CircuitBreaker(size=50, minimum_calls=10)
    assert feed(policy, [FAIL] * 9).mode is Mode.CLOSED
    assert feed(policy, [FAIL] * 10).mode is Mode.OPEN


def test_minimum_calls_is_capped_by_a_small_count_window() -> None:
    """A count window smaller than minimum_calls can still trip once it is full."""
    policy = CircuitBreaker(size=5, minimum_calls=100)
    assert feed(policy, [FAIL] * 5).mode is Mode.OPEN


def test_slow_calls_open_the_breaker() -> None:
    """Calls that succeed but take slow_call_s or longer open it at slow_call_rate."""
    policy = CircuitBreaker(size=10, minimum_calls=10, slow_call_s=1.0, slow_call_rate=0.8)
    state = feed(policy, [Outcome(False, 2.0)] * 7 + [Outcome(False, 0.1)] * 2)
    assert state.mode is Mode.CLOSED
    state = policy.on_result(state, 0.0, Outcome(False, 1.0))
    assert state.mode is Mode.OPEN


def test_count_window_slides() -> None:
    """Old failures leave the count window as new successes arrive."""
    policy = CircuitBreaker(size=4, minimum_calls=4, failure_rate=0.75)
    state = feed(policy, [FAIL, FAIL, OK, OK, OK, OK])
    assert state.mode is Mode.CLOSED
    assert (state.window.calls, state.window.failures) == (4, 0)


def test_time_window_forgets_old_outcomes() -> None:
    """In a time window, failures older than the span no longer count."""
    policy = CircuitBreaker(window="time", size=10, minimum_calls=4, failure_rate=0.5)
    state = policy.initial()
    for _ in range(3):
        state = policy.on_result(state, 0.0, FAIL)
    state = policy.on_result(state, 11.0, FAIL)  # the first three slid out
    assert state.mode is Mode.CLOSED
    assert (state.window.calls, state.window.failures) == (1, 1)
    for _ in range(3):
        state = policy.on_result(state, 12.0, FAIL)
    assert state.mode is Mode.OPEN


def test_open_refuses_until_the_wait_is_over() -> None:
    """An open breaker refuses calls for wait_open_s, and says how long is left."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=30)
    state = opened(policy, now=100.0)
    state, permitted = policy.acquire(state, 129.9)
    assert not permitted
    assert policy.retry_after(state, 120.0) == pytest.approx(10.0)


def test_open_moves_to_half_open_after_the_wait() -> None:
    """The first call after the wait is a half-open probe."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=30)
    state = opened(policy, now=100.0)
    state, permitted = policy.acquire(state, 130.0)
    assert permitted
    assert state.mode is Mode.HALF_OPEN
    assert state.probes_started == 1


def test_half_open_permits_only_the_configured_probes() -> None:
    """Half-open lets exactly half_open_probes calls through until they report."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=1, half_open_probes=3)
    state = opened(policy)
    decisions = []
    for _ in range(5):
        state, permitted = policy.acquire(state, 1.0)
        decisions.append(permitted)
    assert decisions == [True, True, True, False, False]


def test_half_open_closes_when_probes_succeed() -> None:
    """All probes fine ⇒ closed, with an empty window."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=1, half_open_probes=2)
    state = opened(policy)
    state, _ = policy.acquire(state, 1.0)
    state, _ = policy.acquire(state, 1.0)
    epoch = state.epoch
    state = policy.on_result(state, 1.0, Outcome(False, 0.0, epoch))
    assert state.mode is Mode.HALF_OPEN  # waits for every probe
    state = policy.on_result(state, 1.0, Outcome(False, 0.0, epoch))
    assert state.mode is Mode.CLOSED
    assert state.window.calls == 0


def test_half_open_reopens_when_probes_fail() -> None:
    """Probes at or over the failure rate ⇒ open again, with a fresh wait."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=5, half_open_probes=2, failure_rate=0.5)
    state = opened(policy)
    state, _ = policy.acquire(state, 5.0)
    state, _ = policy.acquire(state, 5.0)
    state = policy.on_result(state, 6.0, Outcome(False, 0.0, state.epoch))
    state = policy.on_result(state, 6.0, Outcome(True, 0.0, state.epoch))
    assert state.mode is Mode.OPEN
    assert state.opened_at == 6.0
    assert not policy.acquire(state, 10.0)[1]


def test_outcomes_from_an_earlier_epoch_are_not_probes() -> None:
    """A call admitted while closed that finishes during half-open does not decide anything."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=1, half_open_probes=1)
    closed = policy.initial()
    stale_epoch = closed.epoch
    state = opened(policy)
    state, _ = policy.acquire(state, 1.0)
    after = policy.on_result(state, 1.0, Outcome(True, 0.0, stale_epoch))
    assert after is state


def test_late_outcomes_do_not_change_an_open_breaker() -> None:
    policy = CircuitBreaker(size=10, minimum_calls=10)
    state = opened(policy)
    assert policy.on_result(state, 0.0, OK) is state


def test_ignored_probe_frees_its_slot() -> None:
    """A cancelled probe gives its half-open slot back."""
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=1, half_open_probes=1)
    state = opened(policy)
    state, _ = policy.acquire(state, 1.0)
    assert not policy.acquire(state, 1.0)[1]
    state = policy.on_ignored(state, state.epoch)
    assert policy.acquire(state, 1.0)[1]


def test_force_open_refuses_everything_until_reset() -> None:
    policy = CircuitBreaker(wait_open_s=0)
    state = policy.force_open(policy.initial(), 0.0)
    assert state.mode is Mode.FORCED_OPEN
    assert not policy.acquire(state, 1e9)[1]
    assert policy.reset(state).mode is Mode.CLOSED


def test_force_closed_permits_everything_and_records_nothing() -> None:
    policy = CircuitBreaker(size=10, minimum_calls=1)
    state = policy.force_closed(policy.initial())
    for _ in range(20):
        state, permitted = policy.acquire(state, 0.0)
        assert permitted
        state = policy.on_result(state, 0.0, FAIL)
    assert state.mode is Mode.FORCED_CLOSED


def test_every_transition_bumps_the_epoch() -> None:
    policy = CircuitBreaker(size=10, minimum_calls=10, wait_open_s=1, half_open_probes=1)
    state = opened(policy)
    assert state.epoch == 1
    state, _ = policy.acquire(state, 1.0)
    assert state.epoch == 2
    state = policy.on_result(state, 1.0, OK)
    assert (state.mode, state.epoch) == (Mode.CLOSED, 3)


@pytest.mark.parametrize(
    "kwargs",
    [{"failure_rate": 0}, {"failure_rate": 1.5}, {"slow_call_rate": 0}, {"minimum_calls": 0}, {"half_open_probes": 0}],
)
def test_invalid_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)
