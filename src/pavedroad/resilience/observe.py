"""What a pipeline tells the world: counters it keeps, listeners it calls, log events it emits.

* ``Stats`` — per-dependency counters and a latency histogram, updated by the driver inside the critical
  section it already holds (no extra lock), read by the Prometheus collector at scrape time.
* Listeners — ``add_listener(fn)`` registers ``fn(dependency, outcome, latency_s)``, called once per
  pipeline call (not per attempt) after it ends, on the calling thread. ``outcome`` is one of ``OUTCOMES``;
  ``latency_s`` covers the whole call, retries and waits included. A listener that raises is logged and
  skipped; it never fails the call.
* Log events (structlog, logger ``pavedroad.resilience``): ``resilience.breaker.transition`` on every
  breaker transition, ``resilience.retry_budget.exhausted``, ``resilience.bulkhead.rejected``,
  ``resilience.retry`` (debug).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

import structlog

__all__ = [
    "LATENCY_BUCKETS_S",
    "OUTCOMES",
    "Listener",
    "Stats",
    "add_listener",
    "listeners",
    "log",
    "notify",
    "remove_listener",
]

# success: the dependency answered and it was not a failure; failure: it failed (after any retries);
# timeout: the deadline or the attempt timeout ran out; the rest were refused locally, no call was made.
OUTCOMES = ("success", "failure", "timeout", "circuit_open", "bulkhead_full", "rate_limited")
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Listener = Callable[[str, str, float], object]
_listeners: tuple[Listener, ...] = ()
log = structlog.get_logger("pavedroad.resilience")


def add_listener(listener: Listener) -> Listener:
    """Call ``listener(dependency, outcome, latency_s)`` after every pipeline call; returns it (decorator-friendly)."""
    global _listeners  # noqa: PLW0603 - a copy-on-write tuple: readers never lock
    if listener not in _listeners:
        _listeners = (*_listeners, listener)
    return listener


def remove_listener(listener: Listener) -> None:
    global _listeners  # noqa: PLW0603 - see add_listener
    _listeners = tuple(item for item in _listeners if item is not listener)


def listeners() -> tuple[Listener, ...]:
    return _listeners


def notify(dependency: str, outcome: str, latency_s: float) -> None:
    for listener in _listeners:
        try:
            listener(dependency, outcome, latency_s)
        except Exception:  # an observer must never fail the call it observes
            log.exception("resilience.listener.failed", dependency=dependency, listener=repr(listener))


class Stats:
    """Counters of one dependency; mutate only while holding the owning pipeline's lock."""

    __slots__ = (
        "attempts",
        "buckets",
        "budget_exhausted",
        "calls",
        "hedges",
        "latency_count",
        "latency_sum",
        "retries",
        "transitions",
    )

    def __init__(self) -> None:
        self.calls: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self.attempts = 0
        self.retries = 0
        self.hedges = 0
        self.budget_exhausted = 0
        self.transitions: dict[tuple[str, str], int] = {}
        self.buckets = [0] * (len(LATENCY_BUCKETS_S) + 1)  # last one is +Inf
        self.latency_sum = 0.0
        self.latency_count = 0

    def record_call(self, outcome: str, latency_s: float) -> None:
        self.calls[outcome] += 1
        self.buckets[bisect_left(LATENCY_BUCKETS_S, latency_s)] += 1
        self.latency_sum += latency_s
        self.latency_count += 1

    def record_transition(self, old: str, new: str) -> None:
        key = (old, new)
        self.transitions[key] = self.transitions.get(key, 0) + 1
