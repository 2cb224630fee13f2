"""Invariants of the pure breaker over random interleavings of permits, outcomes and time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.resilience import CircuitBreaker, Mode, Outcome

policies = st.builds(
    CircuitBreaker,
    window=st.sampled_from(["count", "time"]),
    size=st.integers(1, 20),
    minimum_calls=st.integers(1, 10),
    failure_rate=st.floats(0.1, 1.0),
    slow_call_rate=st.floats(0.1, 1.0),
    slow_call_s=st.floats(0.1, 5.0),
    wait_open_s=st.floats(0.0, 10.0),
    half_open_probes=st.integers(1, 5),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("acquire"), st.floats(0.0, 3.0)),
        st.tuples(st.just("result"), st.integers(0, 50), st.booleans(), st.floats(0.0, 6.0)),
        st.tuples(st.just("ignore"), st.integers(0, 50)),
        st.tuples(st.just("force"), st.sampled_from(["open", "closed", "reset"])),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(policy=policies, ops=operations)
def test_invariants(policy: CircuitBreaker, ops: list[tuple]) -> None:
    state = policy.initial()
    now = 0.0
    outstanding: list[int] = []  # epochs of permitted calls that have not reported
    for op in ops:
        if op[0] == "acquire":
            now += op[1]
            before = state
            state, permitted = policy.acquire(state, now)
            if before.mode is Mode.OPEN and now - before.opened_at < policy.wait_open_s:
                assert not permitted, "an open breaker let a call through before its wait was over"
            if before.mode is Mode.FORCED_OPEN:
                assert not permitted
            if permitted:
                outstanding.append(state.epoch)
        elif op[0] == "result" and outstanding:
            epoch = outstanding.pop(op[1] % len(outstanding))
            state = policy.on_result(state, now, Outcome(op[2], op[3], epoch))
        elif op[0] == "ignore" and outstanding:
            state = policy.on_ignored(state, outstanding.pop(op[1] % len(outstanding)))
        elif op[0] == "force":
            if op[1] == "open":
                state = policy.force_open(state, now)
            else:
                state = policy.force_closed(state) if op[1] == "closed" else policy.reset(state)
        window = state.window
        assert 0 <= window.failures <= window.calls
        assert 0 <= window.slow <= window.calls
        if policy.window == "count":
            assert window.calls <= policy.size
        if state.mode is Mode.HALF_OPEN:
            probes_in_flight = sum(1 for epoch in outstanding if epoch == state.epoch)
            assert state.probes_started <= policy.half_open_probes
            assert probes_in_flight <= policy.half_open_probes, "more half-open probes than allowed"
            assert state.probe_calls <= state.probes_started


@settings(max_examples=200, deadline=None)
@given(policy=policies, failures=st.lists(st.booleans(), min_size=1, max_size=100))
def test_a_closed_breaker_opens_exactly_when_the_window_says_so(policy: CircuitBreaker, failures: list[bool]) -> None:
    state = policy.initial()
    for failed in failures:
        previous = state
        state = policy.on_result(state, 0.0, Outcome(failed))
        if previous.mode is not Mode.CLOSED:
            break
        window = previous.window.add(0.0, failed, policy.slow_call_s <= 0.0)
        enough = window.calls >= min(policy.minimum_calls, int(policy.size) if policy.window == "count" else 10**9)
        rate_hit = window.failures >= policy.failure_rate * window.calls and window.failures > 0
        assert (state.mode is Mode.OPEN) == (enough and rate_hit)
