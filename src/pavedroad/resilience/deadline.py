"""Deadlines that travel with the work: an absolute monotonic instant in a ``contextvars.ContextVar``.

A deadline set by a caller bounds every pipeline call beneath it, in threads' own contexts and across
``await``; a pipeline never extends it, only shortens it (its own ``deadline_s``, then each attempt's
timeout). During an attempt the variable holds the *attempt's* deadline, so nested calls and the callable
itself can ask ``remaining()``.

    >>> from pavedroad.resilience import deadline, remaining
    >>> with deadline(2.0):
    ...     0 < remaining() <= 2.0
    True
    >>> remaining() is None
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["current_deadline", "deadline", "remaining"]

# Absolute instant on the pipeline clock's monotonic scale (time.monotonic unless a clock is injected).
DEADLINE: ContextVar[float | None] = ContextVar("pavedroad_resilience_deadline", default=None)


@contextmanager
def deadline(seconds: float, *, now: Callable[[], float] = time.monotonic) -> Iterator[float]:
    """Bound everything inside to ``seconds`` from now (never later than an enclosing deadline).

    Yields the absolute deadline. ``now`` must be the same monotonic clock the pipelines use (pass
    ``fake_clock.monotonic`` in tests that inject a ``FakeClock``).
    """
    if seconds < 0:
        raise ValueError(f"a deadline is a duration >= 0 seconds, got {seconds!r}")
    at = now() + seconds
    outer = DEADLINE.get()
    if outer is not None and outer < at:
        at = outer
    token = DEADLINE.set(at)
    try:
        yield at
    finally:
        DEADLINE.reset(token)


def current_deadline() -> float | None:
    """The absolute deadline in force here, or ``None`` when nothing bounds this work."""
    return DEADLINE.get()


def remaining(*, now: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left before the deadline in force (may be negative), or ``None`` when there is none."""
    at = DEADLINE.get()
    return None if at is None else at - now()
