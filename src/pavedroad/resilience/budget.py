"""Retry budget (Envoy, Finagle): retries may be at most ``ratio`` of requests, plus a small floor.

A token bucket: every request deposits ``ratio`` tokens, time deposits ``min_per_second`` tokens per
second, the balance is capped at ``max_tokens``, and every retry withdraws one whole token. So over any
stretch of time, retries ≤ ``ratio`` * requests + ``min_per_second`` * seconds + ``max_tokens`` — a 100%
failure burst amplifies traffic by at most ``1 + ratio`` (plus the floor), never *``max_attempts``.

    >>> budget = RetryBudget(ratio=0.5, min_per_second=0.0, max_tokens=1.0, initial_tokens=0.0)
    >>> state = budget.initial(now=0.0)
    >>> state = budget.on_request(budget.on_request(state, 0.0), 0.0)   # two requests: one token
    >>> state, ok = budget.try_retry(state, 0.0)
    >>> ok, budget.try_retry(state, 0.0)[1]
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["BudgetState", "RetryBudget"]


class BudgetState(NamedTuple):
    tokens: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class RetryBudget:
    """Budget policy (a value); ``on_request``/``try_retry`` are pure transitions."""

    ratio: float = 0.2
    min_per_second: float = 1.0
    max_tokens: float = 10.0
    initial_tokens: float | None = None  # None: start with a full floor reserve (max_tokens)

    def __post_init__(self) -> None:
        if self.ratio < 0 or self.min_per_second < 0 or self.max_tokens < 1:
            raise ValueError("ratio and min_per_second are >= 0 and max_tokens >= 1")

    def initial(self, now: float) -> BudgetState:
        start = self.max_tokens if self.initial_tokens is None else min(self.initial_tokens, self.max_tokens)
        return BudgetState(start, now)

    def _refill(self, state: BudgetState, now: float, deposit: float) -> float:
        elapsed = now - state.updated_at
        tokens = state.tokens + deposit + (elapsed * self.min_per_second if elapsed > 0 else 0.0)
        return tokens if tokens < self.max_tokens else self.max_tokens

    def on_request(self, state: BudgetState, now: float, requests: int = 1) -> BudgetState:
        """``requests`` calls started (by ``now``): deposit ``ratio`` tokens each.

        Deposits only add, and the cap is a ``min``, so depositing a batch late equals depositing one by
        one; the driver batches deposits until a retry needs the balance.
        """
        at = now if now > state.updated_at else state.updated_at
        return BudgetState(self._refill(state, now, self.ratio * requests), at)

    def try_retry(self, state: BudgetState, now: float) -> tuple[BudgetState, bool]:
        """A retry is due: withdraw one token if there is one."""
        tokens = self._refill(state, now, 0.0)
        at = now if now > state.updated_at else state.updated_at
        if tokens >= 1.0:
            return BudgetState(tokens - 1.0, at), True
        return BudgetState(tokens, at), False
