"""Errors a resilience pipeline raises when it refuses or gives up on a call.

Every refusal is an ``Unavailable`` (HTTP 503), so the service renders it in its one error handler with a
hint; ``details`` carry ``dependency`` and, where known, ``retry_after_s`` (what a ``Retry-After`` header
should say)::

    Unavailable                          503
    ├── CircuitOpen              E531    the dependency's breaker is open; no call was made
    ├── BulkheadFull             E532    too many calls in flight and the queue is full (or waiting timed out)
    ├── DeadlineExceeded         E533    the call's deadline passed (before or during the call)
    ├── RetryBudgetExhausted     E534    a retry was due but the dependency's retry budget is spent
    └── RateLimited              E535    the dependency's client-side rate limit has no token in time
    PavedroadError
    └── EgressBlocked            E536    an outbound connection bypassed every pipeline (the egress guard)

Errors from the dependency itself (an ``httpx.ConnectError`` after the last attempt, a 503 response) are
passed through unchanged, so code written against httpx keeps working.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pavedroad.errors import PavedroadError, Unavailable

__all__ = [
    "BulkheadFull",
    "CircuitOpen",
    "DeadlineExceeded",
    "EgressBlocked",
    "RateLimited",
    "ResilienceRefusal",
    "RetryBudgetExhausted",
]


class ResilienceRefusal(Unavailable):
    """A pipeline refused or abandoned a call to ``dependency`` on purpose (base of the 503 family here)."""

    outcome: ClassVar[str] = "failure"

    def __init__(self, dependency: str, message: str, *, hint: str, retry_after_s: float | None = None) -> None:
        details: dict[str, Any] = {"dependency": dependency}
        if retry_after_s is not None:
            details["retry_after_s"] = round(retry_after_s, 3)
        super().__init__(message, hint=hint, **details)
        self.dependency = dependency
        self.retry_after_s = retry_after_s


class CircuitOpen(ResilienceRefusal):
    """The breaker for the dependency is open (or forced open): the call was not attempted."""

    default_code = "E531"
    outcome = "circuit_open"

    def __init__(self, dependency: str, retry_after_s: float | None = None) -> None:
        super().__init__(
            dependency,
            f"calls to {dependency!r} are suspended: its circuit breaker is open",
            hint="the dependency failed or was slow for too many recent calls; calls resume after the open wait "
            "(see `retry_after_s`), first as a few half-open probes",
            retry_after_s=retry_after_s,
        )


class BulkheadFull(ResilienceRefusal):
    """The dependency's concurrency limit and queue are full, or the wait for a slot ran out."""

    default_code = "E532"
    outcome = "bulkhead_full"

    def __init__(self, dependency: str, max_concurrent: int, max_queue: int) -> None:
        super().__init__(
            dependency,
            f"too many concurrent calls to {dependency!r} ({max_concurrent} in flight, {max_queue} queued)",
            hint="the dependency is slow or traffic spiked; raise bulkhead.max_concurrent only if the dependency "
            "can take it, otherwise shed load upstream",
        )


class DeadlineExceeded(ResilienceRefusal):
    """The call's deadline (its own or one propagated from the caller) passed."""

    default_code = "E533"
    outcome = "timeout"

    def __init__(self, dependency: str, budget_s: float | None = None) -> None:
        spent = f" after {budget_s:.3f}s" if budget_s is not None else ""
        super().__init__(
            dependency,
            f"the deadline for the call to {dependency!r} passed{spent}",
            hint="the dependency is slow or the caller's deadline is too short; check the dependency's latency "
            "and the `deadline_s`/`timeout.attempt_s` settings",
        )


class RetryBudgetExhausted(ResilienceRefusal):
    """A retry was due but retries to the dependency already exceed their share of requests."""

    default_code = "E534"
    outcome = "failure"

    def __init__(self, dependency: str) -> None:
        super().__init__(
            dependency,
            f"the call to {dependency!r} failed and its retry budget is exhausted",
            hint="the dependency is failing for many calls at once; retries are capped (budget.ratio of requests "
            "plus budget.min_per_second) so they cannot become a retry storm",
        )


class RateLimited(ResilienceRefusal):
    """The client-side rate limit for the dependency had no token within the allowed wait."""

    default_code = "E535"
    outcome = "rate_limited"

    def __init__(self, dependency: str, retry_after_s: float) -> None:
        super().__init__(
            dependency,
            f"calls to {dependency!r} are over their rate limit",
            hint="the dependency's quota (rate_limit.per_second) is reached; retry later or raise the limit if "
            "the dependency's contract allows",
            retry_after_s=retry_after_s,
        )


class EgressBlocked(PavedroadError):
    """An outbound connection to a non-loopback, non-allow-listed address did not come through a pipeline."""

    default_code = "E536"

    def __init__(self, address: str) -> None:
        super().__init__(
            f"outbound connection to {address} bypassed pavedroad.resilience",
            hint="build the client as httpx.Client(transport=pavedroad.resilience.transport('<dependency>')), "
            "or add the host to the egress allow-list if it is infrastructure (a database, a broker)",
            address=address,
        )
