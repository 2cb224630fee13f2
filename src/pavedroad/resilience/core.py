"""The sans-IO half of a pipeline: policy states behind one lock, and the one algorithm a call follows.

The policies are values (``Bulkhead``, ``Retry``, ``RetryBudget``, ``CircuitBreaker``, ``RateLimit``) whose
transitions are pure; ``PipelineCore`` owns their states behind one lock, held only for those transitions,
never while the dependency is being called. A successful call takes the lock twice: ``_begin`` (bulkhead
slot, budget deposit, first breaker permit) and ``_conclude`` (breaker outcome, call statistics, slot
freed). ``_steps`` is the call itself, as a generator of ``steps`` (attempt, sleep, discard, queue) over
the injected clock; ``Pipeline`` (``pipeline.py``) performs them from threads and from asyncio.
"""

from __future__ import annotations

import asyncio
import random as _random
import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Protocol, TypeVar

from pavedroad.resilience import observe
from pavedroad.resilience.breaker import BreakerState, CircuitBreaker, Mode
from pavedroad.resilience.budget import BudgetState, RetryBudget
from pavedroad.resilience.bulkhead import ADMIT, QUEUE, Bulkhead, ThreadWaiter, Waiter
from pavedroad.resilience.deadline import DEADLINE
from pavedroad.resilience.errors import (
    BulkheadFull,
    CircuitOpen,
    DeadlineExceeded,
    RateLimited,
    ResilienceRefusal,
    RetryBudgetExhausted,
)
from pavedroad.resilience.hedging import Hedging
from pavedroad.resilience.observe import LATENCY_BUCKETS_S, Stats, log, notify
from pavedroad.resilience.ratelimit import LimiterState, RateLimit
from pavedroad.resilience.retry import SUCCESS, ExceptionClassifier, Retry, Verdict
from pavedroad.resilience.steps import Attempt, Discard, Queue, Sleep, Step

__all__ = ["Classifier", "PipelineCore", "thread_waiter"]

R = TypeVar("R")
_INF = float("inf")
_CLOSED = Mode.CLOSED
_Moved = tuple[BreakerState, BreakerState] | None


class Classifier(Protocol):
    def exception(self, exc: BaseException, idempotent: bool) -> Verdict: ...


def thread_waiter() -> Waiter:
    return ThreadWaiter()


class PipelineCore:
    """State, admission and bookkeeping shared by the sync and async drivers (see ``Pipeline``)."""

    def __init__(
        self,
        name: str,
        *,
        deadline_s: float | None = 30.0,
        bulkhead: Bulkhead | None = Bulkhead(),  # noqa: B008 - frozen values, safe as defaults
        retry: Retry = Retry(),  # noqa: B008
        budget: RetryBudget | None = RetryBudget(),  # noqa: B008
        breaker: CircuitBreaker | None = CircuitBreaker(),  # noqa: B008
        attempt_timeout_s: float | None = 10.0,
        rate_limit: RateLimit | None = None,
        hedging: Hedging | None = None,
        classifier: Classifier | None = None,
        clock: Any = None,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.name = name
        self.deadline_s = deadline_s
        self.bulkhead = bulkhead
        self.retry = retry
        self.budget = budget
        self.breaker = breaker
        self.attempt_timeout_s = attempt_timeout_s
        self.rate_limit = rate_limit
        self.hedging = hedging
        self.classifier: Classifier = classifier or ExceptionClassifier()
        self.clock = clock
        self._now: Callable[[], float] = clock.monotonic if clock is not None else time.monotonic
        self._wall: Callable[[], float] = clock.time if clock is not None else time.time
        self._sleep: Callable[[float], object] = getattr(clock, "sleep", time.sleep)
        self._asleep: Callable[[float], Awaitable[object]] = getattr(clock, "asleep", asyncio.sleep)
        self._random = random
        self._lock = threading.Lock()
        now = self._now()
        self._breaker: BreakerState | None = breaker.initial() if breaker is not None else None
        self._budget: BudgetState | None = budget.initial(now) if budget is not None else None
        self._deposits = 0  # calls not yet deposited into the budget (see RetryBudget.on_request)
        self._in_flight = 0
        self._queued = 0
        self._limiter: LimiterState | None = rate_limit.initial(now) if rate_limit is not None else None
        self._waiters: deque[Waiter] = deque()
        self.stats = Stats()

    # -- the call: one algorithm, yielding the I/O it needs (see ``steps``) ------------------------------------

    def _steps(  # noqa: PLR0912, PLR0915 - one loop, kept whole so it reads top to bottom
        self,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None,
        discarding: bool,
        make_waiter: Callable[[], Waiter],
    ) -> Generator[Step, None, None]:
        """Decide one call: yield what must be done; raise what the caller gets unless it is a result.

        The driver performs each step and writes its outcome on it (``Attempt.result`` or ``.error``,
        ``Queue.granted``) before asking for the next; a ``BaseException`` it throws in (a cancellation)
        frees what the call held and propagates. When the steps run out, the caller's result is the last
        ``Attempt``'s: the dependency's own last answer (a plain ``for`` loop, so no ``StopIteration`` per call).
        """
        started = now = self._now()
        limit = DEADLINE.get()  # the tighter of the propagated deadline and deadline_s
        if limit is None:
            limit = _INF
        if self.deadline_s is not None and now + self.deadline_s < limit:
            limit = now + self.deadline_s
        if limit <= now:
            raise self._refused(DeadlineExceeded(self.name), started)
        try:
            waiter, epoch = self._begin(now, make_waiter)
        except ResilienceRefusal as refusal:
            raise self._refused(refusal, started) from None
        holding = True  # in_flight is counted even without a bulkhead (a gauge)
        try:
            if waiter is not None:
                queue = Queue(waiter, self._patience(started, limit))
                try:
                    yield queue
                except BaseException:
                    holding = self._waited(waiter)
                    raise
                if not (queue.granted or self._waited(waiter)):
                    holding = False
                    raise self._refused(self._wait_refusal(started, limit), started)
                now = self._now()
            number = 0
            previous: tuple[Verdict, R | None, Exception | None] | None = None
            while True:
                number += 1
                wait = 0.0
                if epoch is None or number > 1:
                    try:
                        epoch, wait = self._permit(now, number)
                    except ResilienceRefusal as refusal:
                        holding = False
                        if previous is None:
                            raise self._refused(refusal, started, leave=True) from None
                        self._deliver(previous[0], previous[2], started, self._now())
                        return
                if previous is not None and discarding and previous[1] is not None:
                    yield Discard(previous[1])
                if wait:
                    if now + wait >= limit:
                        self._ignore(epoch)
                        holding = False
                        raise self._refused(DeadlineExceeded(self.name, now - started), started, leave=True)
                    yield Sleep(wait)
                    now = self._now()
                attempt_limit = limit
                if self.attempt_timeout_s is not None and now + self.attempt_timeout_s < limit:
                    attempt_limit = now + self.attempt_timeout_s
                if attempt_limit <= now:
                    self._ignore(epoch)
                    holding = False
                    raise self._refused(DeadlineExceeded(self.name, now - started), started, leave=True)
                finite = attempt_limit != _INF
                token = DEADLINE.set(attempt_limit if finite else None)
                attempt = Attempt(attempt_limit - now if finite else None)
                try:
                    yield attempt
                except BaseException:
                    self._ignore(epoch)
                    raise
                finally:
                    DEADLINE.reset(token)
                result: R | None = attempt.result
                error = attempt.error
                if error is not None:
                    verdict = self.classifier.exception(error, idempotent)
                else:
                    verdict = SUCCESS if judge is None else judge(result)  # type: ignore[arg-type] # a result
                ended = self._now()
                delay = self._retry_delay(verdict, number, ended, limit) if verdict.retryable else None
                if delay is None:
                    holding = False
                    self._conclude(verdict, epoch, now, ended, started, outcome=verdict.outcome, leave=True)
                    if error is not None:
                        raise error
                    return
                if not self._record_then_budget(verdict, epoch, now, ended):
                    holding = False
                    self._conclude(None, epoch, now, ended, started, outcome=verdict.outcome, leave=True)
                    if error is not None:
                        raise RetryBudgetExhausted(self.name) from error
                    return  # a failed response, returned as is
                log.debug("resilience.retry", dependency=self.name, attempt=number, delay_s=round(delay, 4))
                previous = (verdict, result, error)
                yield Sleep(delay)
                now = self._now()
        finally:
            if holding:
                self._leave()

    def _deliver(self, verdict: Verdict, error: Exception | None, started: float, ended: float) -> None:
        """Hand over the previous attempt's answer (the breaker refused the next attempt)."""
        self._conclude(None, -1, started, ended, started, outcome=verdict.outcome, leave=True)
        if error is not None:
            raise error

    # -- inspection and operator controls --------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        """The breaker's mode (``closed`` when the pipeline has no breaker)."""
        return self._breaker.mode if self._breaker is not None else Mode.CLOSED

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def budget_tokens(self) -> float | None:
        """The retry budget's balance now (``None`` without a budget)."""
        if self.budget is None or self._budget is None:
            return None
        with self._lock:
            return self.budget.on_request(self._budget, self._now(), self._deposits).tokens

    def force_open(self) -> None:
        """Refuse every call (``CircuitOpen``) until ``reset``: for incidents and maintenance windows."""
        self._operate(lambda b, s: b.force_open(s, self._now()))

    def force_closed(self) -> None:
        """Permit every call and record nothing until ``reset`` (the breaker is disabled)."""
        self._operate(lambda b, s: b.force_closed(s))

    def reset(self) -> None:
        """Back to closed with an empty window."""
        self._operate(lambda b, s: b.reset(s))

    def _operate(self, change: Callable[[CircuitBreaker, BreakerState], BreakerState]) -> None:
        if self.breaker is None or self._breaker is None:
            raise RuntimeError(f"pipeline {self.name!r} has no circuit breaker")
        with self._lock:
            old = self._breaker
            new = self._breaker = change(self.breaker, old)
            self.stats.record_transition(old.mode, new.mode)
        self._log_transition((old, new), manual=True)

    # -- the critical sections (each one short, none around I/O) ---------------------------------------------

    def _begin(self, now: float, make_waiter: Callable[[], Waiter]) -> tuple[Waiter | None, int | None]:
        """Admit a call: a bulkhead slot (or a place in its queue) and, when possible, the first permit.

        Returns (waiter, None) when the call must queue, else (None, epoch) with epoch None when the first
        attempt still needs ``_permit`` (a rate limit is configured). Raises the refusal otherwise.
        """
        moved: _Moved = None
        refusal: ResilienceRefusal | None = None
        epoch: int | None = -1
        waiter = None
        with self._lock:
            bulkhead = self.bulkhead
            admission = ADMIT if bulkhead is None else bulkhead.admit(self._in_flight, self._queued)
            if admission is ADMIT:
                state = self._breaker
                if self.rate_limit is not None:
                    epoch = None
                elif state is not None and state.mode is _CLOSED:
                    epoch = state.epoch  # CircuitBreaker.acquire's first rule, inlined for the hot path
                elif state is not None:
                    epoch, moved, refusal = self._acquire_locked(now)
                if refusal is None:
                    self._in_flight += 1
                    self._deposits += 1
                    if epoch is not None:
                        self.stats.attempts += 1
            elif admission is QUEUE:
                self._queued += 1
                self._deposits += 1
                waiter = make_waiter()
                self._waiters.append(waiter)
            else:
                assert bulkhead is not None
                refusal = BulkheadFull(self.name, bulkhead.max_concurrent, bulkhead.max_queue)
        if moved is not None:
            self._log_transition(moved)
        if refusal is not None:
            raise refusal
        return waiter, epoch

    def _acquire_locked(self, now: float) -> tuple[int, _Moved, ResilienceRefusal | None]:
        assert self.breaker is not None
        assert self._breaker is not None
        old = self._breaker
        new, ok = self.breaker.acquire(old, now)
        moved: _Moved = None
        if new is not old:
            self._breaker = new
            if new.mode is not old.mode:
                self.stats.record_transition(old.mode, new.mode)
                moved = (old, new)
        if not ok:
            return -1, moved, CircuitOpen(self.name, self.breaker.retry_after(new, now))
        return new.epoch, moved, None

    def _permit(self, now: float, attempt: int) -> tuple[int, float]:
        """Rate limit and breaker for an attempt after the first: (epoch, rate-limit wait) or a refusal."""
        wait = 0.0
        epoch = -1
        moved: _Moved = None
        refusal: ResilienceRefusal | None = None
        with self._lock:
            if self.rate_limit is not None and self._limiter is not None:
                self._limiter, granted = self.rate_limit.reserve(self._limiter, now, self.rate_limit.max_wait_s)
                if granted is None:
                    refusal = RateLimited(self.name, 1.0 / self.rate_limit.per_second)
                else:
                    wait = granted
            if refusal is None and self.breaker is not None:
                epoch, moved, refusal = self._acquire_locked(now)
            if refusal is None:
                self.stats.attempts += 1
                if attempt > 1:
                    self.stats.retries += 1
        if moved is not None:
            self._log_transition(moved)
        if refusal is not None:
            raise refusal
        return epoch, wait

    def _waited(self, waiter: Waiter) -> bool:
        """A queued call's wait ended without a grant: True if a grant raced in (it owns a slot after all)."""
        with self._lock:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            self._queued -= 1
        return False

    def _leave_locked(self) -> None:
        while self._queued:
            self._queued -= 1
            if self._waiters.popleft().grant():
                return  # the slot passes straight to the waiter: in_flight is unchanged
        self._in_flight -= 1

    def _leave(self) -> None:
        with self._lock:
            self._leave_locked()

    def _record_locked(self, failed: bool, epoch: int, duration: float, now: float) -> _Moved:
        old = self._breaker
        if self.breaker is None or old is None:
            return None
        new = self.breaker.record(old, now, failed, duration, epoch)
        if new is old:
            return None
        self._breaker = new
        if new.mode is old.mode:
            return None
        self.stats.record_transition(old.mode, new.mode)
        return (old, new)

    def _conclude(
        self,
        verdict: Verdict | None,
        epoch: int,
        began: float,
        ended: float,
        started: float,
        *,
        outcome: str,
        leave: bool,
    ) -> None:
        """The call is over: record the last attempt (when ``verdict``), count the call, free the slot."""
        latency = ended - started
        moved: _Moved = None
        stats = self.stats
        with self._lock:
            if verdict is not None and self._breaker is not None:
                moved = self._record_locked(verdict.failed, epoch, ended - began, ended)
            stats.calls[outcome] += 1  # Stats.record_call, inlined for the hot path
            stats.buckets[bisect_left(LATENCY_BUCKETS_S, latency)] += 1
            stats.latency_sum += latency
            stats.latency_count += 1
            if leave:
                if self._queued:
                    self._leave_locked()
                else:
                    self._in_flight -= 1
        if moved is not None:
            self._log_transition(moved)
        if observe.listeners():
            notify(self.name, outcome, latency)

    def _record_then_budget(self, verdict: Verdict, epoch: int, began: float, ended: float) -> bool:
        """Record a failed attempt that wants a retry, then take a retry token: True if one was left."""
        ok = True
        with self._lock:
            moved = self._record_locked(verdict.failed, epoch, ended - began, ended)
            if self.budget is not None and self._budget is not None:
                state = self.budget.on_request(self._budget, ended, self._deposits)
                self._deposits = 0
                self._budget, ok = self.budget.try_retry(state, ended)
                if not ok:
                    self.stats.budget_exhausted += 1
        if moved is not None:
            self._log_transition(moved)
        if not ok:
            log.warning("resilience.retry_budget.exhausted", dependency=self.name)
        return ok

    def _may_hedge(self) -> bool:
        """A hedge is extra load, like a retry: it needs a retry-budget token."""
        ok = True
        with self._lock:
            if self.budget is not None and self._budget is not None:
                now = self._now()
                state = self.budget.on_request(self._budget, now, self._deposits)
                self._deposits = 0
                self._budget, ok = self.budget.try_retry(state, now)
            if ok:
                self.stats.hedges += 1
                self.stats.attempts += 1
        return ok

    def _ignore(self, epoch: int) -> None:
        if self.breaker is not None and self._breaker is not None:
            with self._lock:
                self._breaker = self.breaker.on_ignored(self._breaker, epoch)

    def _refused(self, refusal: ResilienceRefusal, started: float, *, leave: bool = False) -> ResilienceRefusal:
        self._conclude(None, -1, started, self._now(), started, outcome=refusal.outcome, leave=leave)
        return refusal

    def _log_transition(self, moved: tuple[BreakerState, BreakerState], *, manual: bool = False) -> None:
        old, new = moved
        log.warning(
            "resilience.breaker.transition",
            dependency=self.name,
            from_state=str(old.mode),
            to_state=str(new.mode),
            window_calls=old.window.calls,
            window_failures=old.window.failures,
            window_slow=old.window.slow,
            manual=manual,
        )

    # -- pure helpers ----------------------------------------------------------------------------------------

    def _retry_delay(self, verdict: Verdict, attempt: int, now: float, limit: float) -> float | None:
        """Seconds to wait before the next attempt, or None when no further attempt may be made."""
        if not verdict.retryable or attempt >= self.retry.max_attempts:
            return None
        delay = self.retry.delay(attempt, self._random)
        if verdict.retry_after_s is not None:
            if verdict.retry_after_s > self.retry.max_retry_after_s:
                return None
            delay = max(delay, verdict.retry_after_s)
        if now + delay >= limit:
            return None
        return delay

    def _patience(self, started: float, limit: float) -> float:
        assert self.bulkhead is not None
        return min(self.bulkhead.max_wait_s, limit - started)

    def _wait_refusal(self, started: float, limit: float) -> ResilienceRefusal:
        assert self.bulkhead is not None
        if limit - started <= self.bulkhead.max_wait_s:
            return DeadlineExceeded(self.name, self._now() - started)
        return BulkheadFull(self.name, self.bulkhead.max_concurrent, self.bulkhead.max_queue)
