"""Sliding windows of call outcomes for the circuit breaker: immutable values, O(1) to update.

``CountWindow`` keeps the last ``size`` outcomes as two bit strings (failed, slow) in Python ints, so adding
an outcome is a shift, a mask and two counter updates. ``TimeWindow`` keeps one aggregate per bucket
(ten buckets per span) and forgets buckets older than ``span_s``. Both expose ``calls``, ``failures`` and
``slow`` for the outcomes still inside the window, and ``add(now, failed, slow)`` returns a new window.

    >>> w = CountWindow.empty(3)
    >>> for failed in (True, False, True, True):
    ...     w = w.add(0.0, failed, False)
    >>> (w.calls, w.failures)
    (3, 2)
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CountWindow", "TimeWindow", "Window"]

_BUCKETS = 10


class CountWindow(NamedTuple):
    """The last ``size`` outcomes; bit 0 of ``fail_bits``/``slow_bits`` is the newest."""

    size: int
    calls: int
    failures: int
    slow: int
    fail_bits: int
    slow_bits: int

    @classmethod
    def empty(cls, size: int) -> CountWindow:
        if size < 1:
            raise ValueError(f"a count window holds at least 1 call, got {size}")
        return cls(size, 0, 0, 0, 0, 0)

    def add(self, now: float, failed: bool, slow: bool) -> CountWindow:
        size, calls, failures, slows, fbits, sbits = self
        if calls == size and not (failed or slow or fbits or sbits):
            return self  # full of successes and one more success: nothing changes
        if calls == size:  # full: the oldest outcome (bit size-1) leaves
            top = size - 1
            failures -= (fbits >> top) & 1
            slows -= (sbits >> top) & 1
        else:
            calls += 1
        mask = (1 << size) - 1
        fbits = ((fbits << 1) | failed) & mask
        sbits = ((sbits << 1) | slow) & mask
        return CountWindow(size, calls, failures + failed, slows + slow, fbits, sbits)

    def reset(self) -> CountWindow:
        return CountWindow(self.size, 0, 0, 0, 0, 0)


class TimeWindow(NamedTuple):
    """Outcomes of the last ``span_s`` seconds, aggregated in ten buckets of ``span_s / 10``."""

    span_s: float
    calls: int
    failures: int
    slow: int
    # (bucket index, calls, failures, slow), oldest first
    buckets: tuple[tuple[int, int, int, int], ...]

    @classmethod
    def empty(cls, span_s: float) -> TimeWindow:
        if span_s <= 0:
            raise ValueError(f"a time window spans more than 0 seconds, got {span_s}")
        return cls(span_s, 0, 0, 0, ())

    def expire(self, now: float) -> TimeWindow:
        """Drop the buckets that have slid out of the window at ``now``."""
        index = int(now * _BUCKETS // self.span_s)
        buckets = self.buckets
        if not buckets or buckets[0][0] > index - _BUCKETS:
            return self
        calls, failures, slows = self.calls, self.failures, self.slow
        keep = 0
        for keep, (bucket, c, f, s) in enumerate(buckets):  # noqa: B007 - keep is read after the loop
            if bucket > index - _BUCKETS:
                break
            calls, failures, slows = calls - c, failures - f, slows - s
        else:
            keep = len(buckets)
        return TimeWindow(self.span_s, calls, failures, slows, buckets[keep:])

    def add(self, now: float, failed: bool, slow: bool) -> TimeWindow:
        window = self.expire(now)
        index = int(now * _BUCKETS // self.span_s)
        buckets = window.buckets
        if buckets and buckets[-1][0] == index:
            _, c, f, s = buckets[-1]
            buckets = (*buckets[:-1], (index, c + 1, f + failed, s + slow))
        else:
            buckets = (*buckets, (index, 1, int(failed), int(slow)))
        return TimeWindow(self.span_s, window.calls + 1, window.failures + failed, window.slow + slow, buckets)

    def reset(self) -> TimeWindow:
        return TimeWindow(self.span_s, 0, 0, 0, ())


Window = CountWindow | TimeWindow
