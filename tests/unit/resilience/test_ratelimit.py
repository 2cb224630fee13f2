"""The client-side rate limit: a token bucket that books waits or refuses."""

from __future__ import annotations

import pytest

from pavedroad.resilience import RateLimit


def test_burst_then_waits() -> None:
    limit = RateLimit(per_second=10.0, burst=2.0)
    state = limit.initial(0.0)
    waits = []
    for _ in range(4):
        state, wait = limit.reserve(state, 0.0, max_wait_s=1.0)
        waits.append(wait)
    assert waits == pytest.approx([0.0, 0.0, 0.1, 0.2])


def test_refuses_past_the_allowed_wait_without_booking() -> None:
    limit = RateLimit(per_second=1.0, burst=1.0)
    state, _ = limit.reserve(limit.initial(0.0), 0.0, max_wait_s=0.0)
    refused, wait = limit.reserve(state, 0.0, max_wait_s=0.5)
    assert wait is None
    assert refused is state


def test_tokens_refill_over_time() -> None:
    limit = RateLimit(per_second=2.0, burst=1.0)
    state, _ = limit.reserve(limit.initial(0.0), 0.0, max_wait_s=0.0)
    assert limit.reserve(state, 0.5, max_wait_s=0.0)[1] == 0.0


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimit(per_second=0)
