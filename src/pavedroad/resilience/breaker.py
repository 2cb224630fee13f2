"""The circuit breaker as a pure state machine: ``acquire`` and ``on_result`` map (state, now, …) to a state.

Semantics follow resilience4j and Polly v8:

* **closed** — every call is permitted; outcomes enter a count- or time-based sliding window. Once the
  window holds ``minimum_calls`` outcomes and the failure rate reaches ``failure_rate`` *or* the rate of
  calls lasting ``slow_call_s`` or longer reaches ``slow_call_rate``, the breaker opens.
* **open** — no call is permitted until ``wait_open_s`` has passed; the next ``acquire`` then moves to
* **half-open** — at most ``half_open_probes`` calls are permitted; when all of them have reported, the
  same two thresholds over the probes decide: open again, or closed with an empty window.
* **forced_open** / **forced_closed** — set by an operator (``force_open``/``force_closed``); nothing is
  recorded until ``reset``.

Every transition bumps ``epoch``. ``acquire`` returns the epoch a call was admitted in, and an outcome
from an older epoch (a call that started before the breaker opened) is not counted, so half-open
decisions rest only on the probes. Nothing here reads a clock or takes a lock: the driver does.

    >>> policy = CircuitBreaker(size=4, minimum_calls=4, failure_rate=0.5, wait_open_s=10)
    >>> state = policy.initial()
    >>> for failed in (True, True, False, False):
    ...     state = policy.on_result(state, 0.0, Outcome(failed))
    >>> state.mode
    <Mode.OPEN: 'open'>
    >>> policy.acquire(state, 5.0)[1], policy.acquire(state, 10.0)[0].mode
    (False, <Mode.HALF_OPEN: 'half_open'>)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

from pavedroad.resilience.windows import CountWindow, TimeWindow, Window

__all__ = ["BreakerState", "CircuitBreaker", "Mode", "Outcome"]


class Mode(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    FORCED_OPEN = "forced_open"
    FORCED_CLOSED = "forced_closed"


class Outcome(NamedTuple):
    """What one permitted call reported: failed or not, how long it took, the epoch it was admitted in.

    ``epoch=-1`` means "the current epoch" (handy in tests of the pure machine).
    """

    failed: bool
    duration_s: float = 0.0
    epoch: int = -1


_CLOSED, _OPEN, _HALF_OPEN = Mode.CLOSED, Mode.OPEN, Mode.HALF_OPEN  # module constants: enum lookups are slow


class BreakerState(NamedTuple):
    mode: Mode
    window: Window
    epoch: int = 0
    opened_at: float = 0.0
    probes_started: int = 0
    probe_calls: int = 0
    probe_failures: int = 0
    probe_slow: int = 0


@dataclass(frozen=True, slots=True)
class CircuitBreaker:
    """Breaker policy (a value); its methods are the pure transition functions."""

    window: Literal["count", "time"] = "count"
    size: float = 50  # calls for a count window, seconds for a time window
    minimum_calls: int = 10
    failure_rate: float = 0.5
    slow_call_rate: float = 1.0
    slow_call_s: float = 5.0
    wait_open_s: float = 10.0
    half_open_probes: int = 3
    _min_calls: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (0.0 < self.failure_rate <= 1.0 and 0.0 < self.slow_call_rate <= 1.0):
            raise ValueError("failure_rate and slow_call_rate are fractions in (0, 1]")
        if self.minimum_calls < 1 or self.half_open_probes < 1 or self.size <= 0:
            raise ValueError("size > 0, and minimum_calls and half_open_probes are at least 1")
        # a count window can never hold more than `size` calls, so it must be able to trip with fewer
        capacity = int(self.size) if self.window == "count" else self.minimum_calls
        object.__setattr__(self, "_min_calls", min(self.minimum_calls, capacity))

    def initial(self) -> BreakerState:
        window: Window = (
            CountWindow.empty(int(self.size)) if self.window == "count" else TimeWindow.empty(float(self.size))
        )
        return BreakerState(Mode.CLOSED, window)

    # -- permits ---------------------------------------------------------------------------------------------

    def acquire(self, state: BreakerState, now: float) -> tuple[BreakerState, bool]:
        """May a call start now? Returns the (possibly new) state and the decision."""
        mode = state.mode
        if mode is _CLOSED or mode is Mode.FORCED_CLOSED:
            return state, True
        if mode is _OPEN:
            if now - state.opened_at < self.wait_open_s:
                return state, False
            return BreakerState(_HALF_OPEN, state.window, state.epoch + 1, state.opened_at, 1), True
        if mode is _HALF_OPEN and state.probes_started < self.half_open_probes:
            return state._replace(probes_started=state.probes_started + 1), True
        return state, False

    def retry_after(self, state: BreakerState, now: float) -> float | None:
        """Seconds until an open breaker lets a probe through (``None`` when that is not a matter of time)."""
        if state.mode is Mode.OPEN:
            return max(0.0, state.opened_at + self.wait_open_s - now)
        return None

    # -- outcomes --------------------------------------------------------------------------------------------

    def on_result(self, state: BreakerState, now: float, outcome: Outcome) -> BreakerState:
        """Record a permitted call's outcome; may open or close the breaker."""
        return self.record(state, now, outcome.failed, outcome.duration_s, outcome.epoch)

    def record(  # noqa: PLR0911 - one return per transition reads like the state table it is
        self, state: BreakerState, now: float, failed: bool, duration_s: float, epoch: int = -1
    ) -> BreakerState:
        """``on_result`` with the outcome's fields spread (the drivers' allocation-free form)."""
        if epoch not in (-1, state.epoch):
            return state  # admitted under an earlier state: not evidence about the current one
        mode = state.mode
        slow = duration_s >= self.slow_call_s
        if mode is _CLOSED:
            old = state.window
            window = old.add(now, failed, slow)
            if window is old:
                return state  # a healthy full window stays as it is
            if (
                (window.failures or window.slow)
                and window.calls >= self._min_calls
                and self._tripped(window.calls, window.failures, window.slow)
            ):
                return self._open(state, now)
            return BreakerState(_CLOSED, window, state.epoch)
        if mode is _HALF_OPEN:
            calls = state.probe_calls + 1
            failures = state.probe_failures + failed
            slows = state.probe_slow + slow
            if calls < self.half_open_probes:
                return state._replace(probe_calls=calls, probe_failures=failures, probe_slow=slows)
            if self._tripped(calls, failures, slows):
                return self._open(state, now)
            return BreakerState(_CLOSED, state.window.reset(), state.epoch + 1)
        return state  # open or forced: late or unrecorded outcomes change nothing

    def on_ignored(self, state: BreakerState, epoch: int = -1) -> BreakerState:
        """A permitted call ended without evidence (cancelled, caller error): free its half-open probe slot."""
        if state.mode is _HALF_OPEN and epoch in (-1, state.epoch) and state.probes_started > state.probe_calls:
            return state._replace(probes_started=state.probes_started - 1)
        return state

    # -- operator controls -----------------------------------------------------------------------------------

    def force_open(self, state: BreakerState, now: float) -> BreakerState:
        return BreakerState(Mode.FORCED_OPEN, state.window.reset(), state.epoch + 1, now)

    def force_closed(self, state: BreakerState) -> BreakerState:
        return BreakerState(Mode.FORCED_CLOSED, state.window.reset(), state.epoch + 1)

    def reset(self, state: BreakerState) -> BreakerState:
        return BreakerState(Mode.CLOSED, state.window.reset(), state.epoch + 1)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _tripped(self, calls: int, failures: int, slow: int) -> bool:
        return failures >= self.failure_rate * calls or slow >= self.slow_call_rate * calls

    def _open(self, state: BreakerState, now: float) -> BreakerState:
        return BreakerState(_OPEN, state.window.reset(), state.epoch + 1, now)
