"""Retry policy and outcome classification: what counts as a failure, what may be retried, and when.

* Backoff is exponential with **full jitter** (AWS): attempt *n* waits ``uniform(0, min(max_delay_s,
  base_delay_s * multiplier**(n-1)))``; a ``Retry-After`` (seconds or HTTP date) is honoured as a floor,
  and a ``Retry-After`` beyond ``max_retry_after_s`` or the deadline ends the retries.
* Only **idempotent** calls are retried (HTTP GET, HEAD, OPTIONS, PUT, DELETE, TRACE, or any request with
  an ``Idempotency-Key`` header), except after errors where the request provably never left
  (connection refused, connect timeout, pool timeout): those are retried for every method.
* Classification is a table (``HttpClassifier``) or a tuple of exception types (``ExceptionClassifier``)
  and yields a ``Verdict``: did the dependency fail (breaker evidence), may it be retried, after when.

    >>> Retry(base_delay_s=0.1, max_delay_s=1.0).delay(3, random=lambda: 1.0)
    0.4
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import NamedTuple

import httpx

__all__ = [
    "IDEMPOTENT_METHODS",
    "ExceptionClassifier",
    "HttpClassifier",
    "Retry",
    "Verdict",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class Verdict(NamedTuple):
    """``failed``: evidence against the dependency; ``retryable``: another attempt may help."""

    failed: bool
    retryable: bool = False
    retry_after_s: float | None = None
    outcome: str = "success"  # the call outcome if this attempt is the last: success, failure, timeout


SUCCESS = Verdict(False)


@dataclass(frozen=True, slots=True)
class Retry:
    max_attempts: int = 3
    base_delay_s: float = 0.1
    max_delay_s: float = 5.0
    multiplier: float = 2.0
    max_retry_after_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0 or self.multiplier < 1:
            raise ValueError("max_attempts >= 1, delays >= 0 and multiplier >= 1")

    def delay(self, attempt: int, random: Callable[[], float] = _random.random) -> float:
        """Full-jitter wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        cap = min(self.max_delay_s, self.base_delay_s * self.multiplier ** (attempt - 1))
        return random() * cap


def parse_retry_after(value: str | None, wall_now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - wall_now)


# Errors after which the request cannot have reached the dependency: safe to retry for any method.
_NOT_SENT: tuple[type[BaseException], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TIMEOUTS: tuple[type[BaseException], ...] = (httpx.TimeoutException, TimeoutError)
_TRANSIENT: tuple[type[BaseException], ...] = (httpx.TransportError, ConnectionError, TimeoutError)


@dataclass(frozen=True, slots=True)
class HttpClassifier:
    """HTTP outcome table: failure statuses feed the breaker, retry statuses may be retried."""

    failure_statuses: frozenset[int] = frozenset({408, 429, *range(500, 600)})
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})

    def response(self, status: int, headers: Mapping[str, str], idempotent: bool, wall_now: float) -> Verdict:
        if status not in self.failure_statuses:
            return SUCCESS
        retryable = idempotent and status in self.retry_statuses
        after = parse_retry_after(headers.get("retry-after"), wall_now) if retryable else None
        return Verdict(True, retryable, after, "failure")

    def exception(self, exc: BaseException, idempotent: bool) -> Verdict:
        return _classify_exception(exc, idempotent, _TRANSIENT)


@dataclass(frozen=True, slots=True)
class ExceptionClassifier:
    """For plain callables: any ``Exception`` is a failure; those in ``retry_on`` may be retried."""

    retry_on: tuple[type[BaseException], ...] = field(default=(ConnectionError, TimeoutError, httpx.TransportError))

    def exception(self, exc: BaseException, idempotent: bool) -> Verdict:
        return _classify_exception(exc, idempotent, self.retry_on)


def _classify_exception(exc: BaseException, idempotent: bool, transient: tuple[type[BaseException], ...]) -> Verdict:
    outcome = "timeout" if isinstance(exc, _TIMEOUTS) else "failure"
    if isinstance(exc, (*_NOT_SENT, ConnectionRefusedError)):
        return Verdict(True, True, None, outcome)
    return Verdict(True, idempotent and isinstance(exc, transient), None, outcome)


def is_idempotent(method: str, headers: Mapping[str, str]) -> bool:
    """HTTP semantics: safe/idempotent methods, or a request carrying an ``Idempotency-Key``."""
    return method in IDEMPOTENT_METHODS or "idempotency-key" in headers
