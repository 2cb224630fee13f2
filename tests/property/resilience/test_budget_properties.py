"""The retry budget is never exceeded, whatever the order of requests, retries and time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.resilience import RetryBudget

budgets = st.builds(
    RetryBudget,
    ratio=st.floats(0.0, 1.0),
    min_per_second=st.floats(0.0, 5.0),
    max_tokens=st.floats(1.0, 20.0),
    initial_tokens=st.one_of(st.none(), st.floats(0.0, 20.0)),
)
steps = st.lists(
    st.tuples(st.sampled_from(["request", "retry", "batch"]), st.floats(0.0, 2.0), st.integers(1, 20)), max_size=300
)


@settings(max_examples=300, deadline=None)
@given(budget=budgets, ops=steps)
def test_retries_never_exceed_the_budget(budget: RetryBudget, ops: list[tuple[str, float, int]]) -> None:
    state = budget.initial(0.0)
    start_tokens = state.tokens
    now = requests = granted = 0.0
    for kind, dt, n in ops:
        now += dt
        if kind == "request":
            state = budget.on_request(state, now)
            requests += 1
        elif kind == "batch":
            state = budget.on_request(state, now, requests=n)
            requests += n
        else:
            state, ok = budget.try_retry(state, now)
            granted += ok
        assert 0.0 <= state.tokens <= budget.max_tokens + 1e-9
        bound = start_tokens + budget.ratio * requests + budget.min_per_second * now
        assert granted <= bound + 1e-9, "more retries than the budget allows"
