"""Cheap per-attempt timeouts for asyncio: a coarse timer wheel per event loop (10 ms slots).

``asyncio.timeout`` costs ~5 µs per use (a timer handle, a heap push, a cancelled handle left behind);
an attempt timeout here is a set insertion and a set removal. The wheel keeps one loop timer, armed for
the earliest non-empty slot; when it fires, every task whose slot has passed is cancelled and remembered
as fired, so the driver can tell its own timeout from an outside cancellation (and ``uncancel`` the
task). Precision is one slot, plenty for network timeouts.

    wheel = wheel_for(task)
    slot = wheel.arm(timeout_s, task)
    try: await work()
    finally: fired = wheel.disarm(slot, task)
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["Wheel", "wheel_for"]

_SLOT_S = 0.01
_wheels: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Wheel] = weakref.WeakKeyDictionary()
_last: list[object] = [None, None]  # (loop, wheel) of the last lookup: one event loop is the common case

Task = asyncio.Task[object]


class Wheel:
    __slots__ = ("__weakref__", "fired", "handle", "loop", "next_slot", "slots", "time")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.time = loop.time
        self.slots: dict[int, set[Task]] = {}
        self.fired: set[Task] = set()
        self.handle: asyncio.TimerHandle | None = None
        self.next_slot = -1

    def arm(self, timeout_s: float, task: Task) -> int:
        """Cancel ``task`` once ``timeout_s`` has passed, unless disarmed first; returns the slot."""
        slot = int((self.time() + timeout_s) / _SLOT_S) + 1
        entries = self.slots.get(slot)
        if entries is None:
            self.slots[slot] = {task}
        else:
            entries.add(task)
        if self.handle is None or slot < self.next_slot:
            self._schedule(slot)
        return slot

    def disarm(self, slot: int, task: Task) -> bool:
        """Stop the timer; True when it had already fired (the task was cancelled by us)."""
        entries = self.slots.get(slot)
        if entries is not None and task in entries:
            entries.discard(task)  # an emptied slot stays until it fires: no set churn per call
            return False
        if task in self.fired:
            self.fired.discard(task)
            return True
        return False

    def _schedule(self, slot: int) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.next_slot = slot
        self.handle = self.loop.call_at(slot * _SLOT_S, self._fire)

    def _fire(self) -> None:
        self.handle = None
        now_slot = int((self.loop.time() + _SLOT_S / 100) / _SLOT_S)  # timers may run a hair early
        for slot in [slot for slot in self.slots if slot <= now_slot]:
            for task in self.slots.pop(slot):
                self.fired.add(task)
                task.cancel()
        live = [slot for slot, entries in self.slots.items() if entries]
        for slot in [slot for slot, entries in self.slots.items() if not entries]:
            del self.slots[slot]
        if live:
            self._schedule(min(live))


def wheel_for(task: Task) -> Wheel:
    """The wheel of ``task``'s event loop (created on first use)."""
    loop = task.get_loop()
    if _last[0] is loop:
        return _last[1]  # type: ignore[return-value]
    wheel = _wheels.get(loop)
    if wheel is None:
        wheel = _wheels[loop] = Wheel(loop)
    _last[0], _last[1] = loop, wheel
    return wheel
