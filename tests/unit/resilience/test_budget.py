"""The retry budget: retries never exceed ratio x requests + floor x seconds + the saved-up cap."""

from __future__ import annotations

import pytest

from pavedroad.resilience import BudgetState, RetryBudget


def drain(budget: RetryBudget, state: BudgetState, now: float) -> tuple[BudgetState, int]:
    granted = 0
    while True:
        state, ok = budget.try_retry(state, now)
        if not ok:
            return state, granted
        granted += 1


def test_requests_buy_retries_at_the_ratio() -> None:
    budget = RetryBudget(ratio=0.1, min_per_second=0.0, max_tokens=100.0, initial_tokens=0.0)
    state = budget.initial(0.0)
    state = budget.on_request(state, 0.0, requests=50)
    _, granted = drain(budget, state, 0.0)
    assert granted == 5


def test_batched_deposits_equal_one_by_one() -> None:
    budget = RetryBudget(ratio=0.3, min_per_second=0.5, max_tokens=4.0, initial_tokens=1.0)
    one_by_one = budget.initial(0.0)
    for i in range(20):
        one_by_one = budget.on_request(one_by_one, i * 0.1)
    batched = budget.on_request(budget.initial(0.0), 1.9, requests=20)
    assert one_by_one.tokens == pytest.approx(batched.tokens)


def test_the_floor_refills_over_time_up_to_the_cap() -> None:
    budget = RetryBudget(ratio=0.0, min_per_second=2.0, max_tokens=5.0, initial_tokens=0.0)
    state = budget.initial(0.0)
    assert not budget.try_retry(state, 0.0)[1]
    state, granted = drain(budget, state, 1.0)
    assert granted == 2
    _, granted = drain(budget, state, 100.0)
    assert granted == 5  # capped


def test_starts_with_a_full_reserve_by_default() -> None:
    budget = RetryBudget(ratio=0.0, min_per_second=0.0, max_tokens=3.0)
    assert drain(budget, budget.initial(0.0), 0.0)[1] == 3


def test_clock_going_backwards_is_harmless() -> None:
    budget = RetryBudget(ratio=0.0, min_per_second=1.0, max_tokens=10.0, initial_tokens=0.0)
    state = budget.initial(10.0)
    state, ok = budget.try_retry(state, 5.0)
    assert not ok
    assert state.updated_at == 10.0


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryBudget(ratio=-1)
    with pytest.raises(ValueError):
        RetryBudget(max_tokens=0.5)
