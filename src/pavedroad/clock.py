"""Clocks as a port: pure decision code takes ``now`` from a ``Clock``, so tests can pass a fake and never sleep.

Production code imports ``Clock`` and ``SystemClock`` from here; the test double ``FakeClock`` lives in
``pavedroad.testing`` (which may import this module, never the reverse), so no production module loads the
test-support layer for its clock.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds for durations, wall-clock seconds for timestamps."""

    def monotonic(self) -> float: ...

    def time(self) -> float: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
