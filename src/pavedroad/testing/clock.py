"""The test clock: ``FakeClock`` satisfies ``pavedroad.clock.Clock`` and moves only when told, so tests never sleep.

``Clock`` and ``SystemClock`` are re-exported from ``pavedroad.clock`` for code that imported them from here.
"""

from __future__ import annotations

from pavedroad.clock import Clock, SystemClock

__all__ = ["Clock", "FakeClock", "SystemClock"]


class FakeClock:
    """A clock that moves only when told: ``advance`` and ``sleep`` move both readings together."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._wall = start
        self._mono = 1_000.0

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._wall

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._wall += seconds
        self._mono += seconds

    def sleep(self, seconds: float) -> None:
        """Like ``time.sleep`` but instant: the clock jumps ahead by ``seconds``."""
        self.advance(max(0.0, seconds))

    async def asleep(self, seconds: float) -> None:
        """Async twin of ``sleep``."""
        self.advance(max(0.0, seconds))
