"""Bulkhead: at most ``max_concurrent`` calls in flight per dependency, at most ``max_queue`` waiting.

``admit(in_flight, queued)`` is the pure decision; the driver keeps the two counters and does the
waiting with one-shot waiters (a lock for threads, a future for event loops). A call that ends hands its
slot straight to the first waiter, first come first served, so a newcomer never steals a freed slot.

    >>> policy = Bulkhead(max_concurrent=1, max_queue=1)
    >>> policy.admit(0, 0), policy.admit(1, 0), policy.admit(1, 1)
    (<Admission.ADMIT: 'admit'>, <Admission.QUEUE: 'queue'>, <Admission.REJECT: 'reject'>)
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Admission", "AsyncWaiter", "Bulkhead", "ThreadWaiter", "Waiter"]


class Admission(StrEnum):
    ADMIT = "admit"
    QUEUE = "queue"
    REJECT = "reject"


ADMIT, QUEUE, REJECT = Admission.ADMIT, Admission.QUEUE, Admission.REJECT


@dataclass(frozen=True, slots=True)
class Bulkhead:
    max_concurrent: int = 64
    max_queue: int = 0
    max_wait_s: float = 1.0

    def __post_init__(self) -> None:
        if self.max_concurrent < 1 or self.max_queue < 0 or self.max_wait_s < 0:
            raise ValueError("max_concurrent >= 1, max_queue >= 0 and max_wait_s >= 0")

    def admit(self, in_flight: int, queued: int) -> Admission:
        """Take a slot, join the queue, or be refused."""
        if in_flight < self.max_concurrent:
            return ADMIT
        if queued < self.max_queue:
            return QUEUE
        return REJECT


class ThreadWaiter:
    """A one-shot gate a thread blocks on until ``grant`` (called under the pipeline lock)."""

    __slots__ = ("_gate", "granted")

    def __init__(self) -> None:
        self.granted = False
        self._gate = threading.Lock()
        self._gate.acquire()

    def grant(self) -> bool:
        self.granted = True
        self._gate.release()
        return True

    def wait(self, patience_s: float) -> bool:
        return self._gate.acquire(timeout=max(0.0, patience_s))


class AsyncWaiter:
    """A one-shot future an event-loop task awaits until ``grant`` (thread-safe)."""

    __slots__ = ("_future", "_loop", "granted")

    def __init__(self) -> None:
        self.granted = False
        self._loop = asyncio.get_running_loop()
        self._future: asyncio.Future[None] = self._loop.create_future()

    def grant(self) -> bool:
        """Hand the slot over; False when the waiter's event loop is gone (the slot goes to the next one)."""
        try:
            self._loop.call_soon_threadsafe(self._resolve)
        except RuntimeError:
            return False
        self.granted = True
        return True

    def _resolve(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    async def wait(self, patience_s: float) -> bool:
        try:
            async with asyncio.timeout(max(0.0, patience_s)):
                await asyncio.shield(self._future)
        except TimeoutError:
            return False
        return True


Waiter = ThreadWaiter | AsyncWaiter
