"""Client-side rate limit as a pure token bucket: ``per_second`` tokens a second, ``burst`` at most.

``reserve`` takes a token now or books the next one and says how long to wait for it; the driver refuses
(``RateLimited``) instead when the wait would exceed ``max_wait_s`` or the call's deadline.

    >>> limit = RateLimit(per_second=2.0, burst=1.0)
    >>> state, wait = limit.reserve(limit.initial(now=0.0), 0.0, max_wait_s=1.0)
    >>> wait
    0.0
    >>> limit.reserve(state, 0.0, max_wait_s=1.0)[1]
    0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["LimiterState", "RateLimit"]


class LimiterState(NamedTuple):
    tokens: float  # negative: tokens already booked by waiting callers
    updated_at: float


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_second: float
    burst: float = 1.0
    max_wait_s: float = 0.0

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("per_second > 0 and burst >= 1")

    def initial(self, now: float) -> LimiterState:
        return LimiterState(self.burst, now)

    def reserve(self, state: LimiterState, now: float, max_wait_s: float) -> tuple[LimiterState, float | None]:
        """Take a token: returns the new state and the wait before using it, or ``None`` (state unchanged)."""
        elapsed = now - state.updated_at
        tokens = min(self.burst, state.tokens + (elapsed * self.per_second if elapsed > 0 else 0.0))
        at = now if now > state.updated_at else state.updated_at
        if tokens >= 1.0:
            return LimiterState(tokens - 1.0, at), 0.0
        wait = (1.0 - tokens) / self.per_second
        if wait > max_wait_s:
            return state, None
        return LimiterState(tokens - 1.0, at), wait
