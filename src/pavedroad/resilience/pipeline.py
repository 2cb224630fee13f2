"""One dependency's pipeline: deadline → bulkhead → retry (with budget) → breaker → attempt timeout.

``Pipeline`` runs one algorithm twice, for threads (``call``/``execute``) and for asyncio
(``acall``/``aexecute``), on the state ``PipelineCore`` keeps behind a lock that is never held while the
dependency is being called:

1. **deadline** — the tighter of the propagated deadline (``deadline()``) and ``deadline_s``; already passed
   ⇒ ``DeadlineExceeded`` before anything else happens.
2. **bulkhead** — one slot for the whole call, retries included; a full queue, or no slot within
   ``max_wait_s`` ⇒ ``BulkheadFull``. Each admitted call deposits ``ratio`` into the retry budget.
3. **retry**, per attempt — rate limit (optional); breaker permit (refused ⇒ ``CircuitOpen`` on the first
   attempt; on a later one the previous attempt's result is delivered); the attempt itself, with its
   deadline (``min(attempt_timeout_s, what is left)``) published in the deadline variable and, for async
   callables, enforced by cancellation; classification into a ``Verdict``. A retryable failure sleeps
   (full jitter, ``Retry-After`` honoured) and retries while attempts, the deadline and the retry budget
   allow; an empty budget raises ``RetryBudgetExhausted`` from the last error (a failed response is
   returned as is). With ``hedging`` (async, idempotent calls), a slow attempt is raced by copies started
   every ``delay_s`` (each paying a retry-budget token); the first acceptable answer is the attempt's.

The caller gets the dependency's own last result (response or exception) or a refusal from
``pavedroad.resilience.errors``. Sync callables cannot be interrupted: they should honour ``remaining()``
(the httpx transport turns it into httpx timeouts). Each call ends by counting its outcome and notifying
listeners; a cancelled call (``CancelledError``, ``KeyboardInterrupt``) only frees what it held.

    >>> from pavedroad.testing import FakeClock
    >>> Pipeline("demo", clock=FakeClock()).call(lambda: 42)
    42
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from pavedroad.resilience.bulkhead import AsyncWaiter, ThreadWaiter
from pavedroad.resilience.core import PipelineCore, thread_waiter
from pavedroad.resilience.deadline import DEADLINE
from pavedroad.resilience.errors import DeadlineExceeded, ResilienceRefusal, RetryBudgetExhausted
from pavedroad.resilience.hedging import race
from pavedroad.resilience.observe import log
from pavedroad.resilience.retry import SUCCESS, Verdict
from pavedroad.resilience.timers import wheel_for

__all__ = ["Pipeline"]

R = TypeVar("R")
_INF = float("inf")
_NO_ARGS: tuple[Any, ...] = ()


class Pipeline(PipelineCore):
    """A dependency's resilience pipeline (see the module docstring for the order and the guarantees)."""

    # -- threads ---------------------------------------------------------------------------------------------

    def call(self, fn: Callable[..., R], /, *args: Any, idempotent: bool = False, **kwargs: Any) -> R:
        """Run ``fn(*args, **kwargs)`` through the pipeline; retried only when ``idempotent``."""
        return self._execute(fn, args, kwargs, False, idempotent, None, None)

    def execute(
        self,
        attempt: Callable[[float | None], R],
        *,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None = None,
        discard: Callable[[R], object] | None = None,
    ) -> R:
        """Run ``attempt(timeout_s)`` per attempt; ``judge`` classifies results, ``discard`` frees retried ones."""
        return self._execute(attempt, _NO_ARGS, None, True, idempotent, judge, discard)

    def _execute(  # noqa: PLR0912, PLR0915, PLR0917 - one loop, kept whole so it reads top to bottom
        self,
        fn: Callable[..., R],
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        pass_timeout: bool,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None,
        discard: Callable[[R], object] | None,
    ) -> R:
        started = now = self._now()
        limit = self._deadline(now)
        if limit <= now:
            raise self._refused(DeadlineExceeded(self.name), started)
        try:
            waiter, epoch = self._begin(now, thread_waiter)
        except ResilienceRefusal as refusal:
            raise self._refused(refusal, started) from None
        holding = True  # in_flight is counted even without a bulkhead (a gauge)
        try:
            if waiter is not None:
                assert isinstance(waiter, ThreadWaiter)
                if not waiter.wait(self._patience(started, limit)) and not self._waited(waiter):
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
                        return self._deliver(*previous, started, self._now())
                if previous is not None and discard is not None and previous[1] is not None:
                    discard(previous[1])
                if wait:
                    if now + wait >= limit:
                        self._ignore(epoch)
                        holding = False
                        raise self._refused(DeadlineExceeded(self.name, now - started), started, leave=True)
                    self._sleep(wait)
                    now = self._now()
                attempt_limit = self._attempt_limit(now, limit)
                if attempt_limit <= now:
                    self._ignore(epoch)
                    holding = False
                    raise self._refused(DeadlineExceeded(self.name, now - started), started, leave=True)
                finite = attempt_limit != _INF
                token = DEADLINE.set(attempt_limit if finite else None)
                result: R | None = None
                error: Exception | None = None
                try:
                    if pass_timeout:
                        result = fn(attempt_limit - now if finite else None)
                    else:
                        result = fn(*args, **kwargs) if kwargs else fn(*args)
                except Exception as exc:  # noqa: BLE001 - classified, then re-raised or retried
                    error = exc
                    verdict = self.classifier.exception(exc, idempotent)
                except BaseException:
                    self._ignore(epoch)
                    raise
                else:
                    verdict = SUCCESS if judge is None else judge(result)
                finally:
                    DEADLINE.reset(token)
                ended = self._now()
                delay = self._retry_delay(verdict, number, ended, limit) if verdict.retryable else None
                if delay is None:
                    holding = False
                    self._conclude(verdict, epoch, now, ended, started, outcome=verdict.outcome, leave=True)
                    if error is not None:
                        raise error
                    return result  # type: ignore[return-value] # set whenever error is None
                if not self._record_then_budget(verdict, epoch, now, ended):
                    holding = False
                    self._conclude(None, epoch, now, ended, started, outcome=verdict.outcome, leave=True)
                    if error is not None:
                        raise RetryBudgetExhausted(self.name) from error
                    return result  # type: ignore[return-value] # a failed response, returned as is
                log.debug("resilience.retry", dependency=self.name, attempt=number, delay_s=round(delay, 4))
                previous = (verdict, result, error)
                self._sleep(delay)
                now = self._now()
        finally:
            if holding:
                self._leave()

    def _deliver(self, verdict: Verdict, result: R | None, error: Exception | None, started: float, ended: float) -> R:
        """Hand over the previous attempt's result (the breaker refused the next attempt)."""
        self._conclude(None, -1, started, ended, started, outcome=verdict.outcome, leave=True)
        if error is not None:
            raise error
        return result  # type: ignore[return-value] # set whenever error is None

    # -- asyncio ---------------------------------------------------------------------------------------------

    def acall(
        self, fn: Callable[..., Awaitable[R]], /, *args: Any, idempotent: bool = False, **kwargs: Any
    ) -> Coroutine[Any, Any, R]:
        """``await p.acall(fn, ...)``: ``fn(*args, **kwargs)`` through the pipeline, retried only when ``idempotent``.

        A plain function returning the coroutine: one coroutine layer less per call.
        """
        return self._aexecute(fn, args, kwargs, False, idempotent, None, None)

    def aexecute(
        self,
        attempt: Callable[[float | None], Awaitable[R]],
        *,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None = None,
        discard: Callable[[R], Awaitable[object]] | None = None,
    ) -> Coroutine[Any, Any, R]:
        """Async twin of ``execute`` (returns the coroutine); the attempt is also cancelled at its timeout."""
        return self._aexecute(attempt, _NO_ARGS, None, True, idempotent, judge, discard)

    async def _aexecute(  # noqa: PLR0912, PLR0915, PLR0917 - the twin of _execute, line for line
        self,
        fn: Callable[..., Awaitable[R]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        pass_timeout: bool,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None,
        discard: Callable[[R], Awaitable[object]] | None,
    ) -> R:
        started = now = self._now()
        limit = self._deadline(now)
        if limit <= now:
            raise self._refused(DeadlineExceeded(self.name), started)
        try:
            waiter, epoch = self._begin(now, AsyncWaiter)
        except ResilienceRefusal as refusal:
            raise self._refused(refusal, started) from None
        holding = True  # in_flight is counted even without a bulkhead (a gauge)
        asleep = self._asleep
        try:
            if waiter is not None:
                assert isinstance(waiter, AsyncWaiter)
                try:
                    admitted = await waiter.wait(self._patience(started, limit)) or self._waited(waiter)
                except asyncio.CancelledError:
                    holding = self._waited(waiter)
                    raise
                if not admitted:
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
                        return self._deliver(*previous, started, self._now())
                if previous is not None and discard is not None and previous[1] is not None:
                    await discard(previous[1])
                if wait:
                    if now + wait >= limit:
                        self._ignore(epoch)
                        holding = False
                        raise self._refused(DeadlineExceeded(self.name, now - started), started, leave=True)
                    await asleep(wait)
                    now = self._now()
                attempt_limit = self._attempt_limit(now, limit)
                if attempt_limit <= now:
                    self._ignore(epoch)
                    holding = False
                    raise self._refused(DeadlineExceeded(self.name, now - started), started, leave=True)
                finite = attempt_limit != _INF
                timeout = attempt_limit - now if finite else None
                token = DEADLINE.set(attempt_limit if finite else None)
                task = asyncio.current_task() if timeout is not None else None
                if task is not None and timeout is not None:
                    wheel = wheel_for(task)
                    slot = wheel.arm(timeout, task)
                result: R | None = None
                error: Exception | None = None
                try:
                    if self.hedging is not None and idempotent:
                        result = await self._hedged(fn, pass_timeout, timeout, args, kwargs, judge, discard)
                    elif pass_timeout:
                        result = await fn(timeout)
                    else:
                        result = await (fn(*args, **kwargs) if kwargs else fn(*args))
                except asyncio.CancelledError:
                    fired = task is not None and wheel.disarm(slot, task)
                    task = None
                    if not fired:
                        self._ignore(epoch)
                        raise
                    current = asyncio.current_task()
                    if current is not None:
                        current.uncancel()
                    error = TimeoutError(f"attempt to {self.name!r} exceeded its {timeout:.3f}s timeout")
                    verdict = self.classifier.exception(error, idempotent)
                except Exception as exc:  # noqa: BLE001 - classified, then re-raised or retried
                    error = exc
                    verdict = self.classifier.exception(exc, idempotent)
                except BaseException:
                    self._ignore(epoch)
                    raise
                else:
                    verdict = SUCCESS if judge is None else judge(result)
                finally:
                    if task is not None:
                        wheel.disarm(slot, task)
                    DEADLINE.reset(token)
                ended = self._now()
                delay = self._retry_delay(verdict, number, ended, limit) if verdict.retryable else None
                if delay is None:
                    holding = False
                    self._conclude(verdict, epoch, now, ended, started, outcome=verdict.outcome, leave=True)
                    if error is not None:
                        raise error
                    return result  # type: ignore[return-value] # set whenever error is None
                if not self._record_then_budget(verdict, epoch, now, ended):
                    holding = False
                    self._conclude(None, epoch, now, ended, started, outcome=verdict.outcome, leave=True)
                    if error is not None:
                        raise RetryBudgetExhausted(self.name) from error
                    return result  # type: ignore[return-value] # a failed response, returned as is
                log.debug("resilience.retry", dependency=self.name, attempt=number, delay_s=round(delay, 4))
                previous = (verdict, result, error)
                await asleep(delay)
                now = self._now()
        finally:
            if holding:
                self._leave()

    async def _hedged(  # noqa: PLR0917 - the attempt's own arguments, passed through
        self,
        fn: Callable[..., Awaitable[R]],
        pass_timeout: bool,
        timeout_s: float | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        judge: Callable[[R], Verdict] | None,
        discard: Callable[[R], Awaitable[object]] | None,
    ) -> R:
        def start() -> Awaitable[R]:
            return fn(timeout_s) if pass_timeout else fn(*args, **(kwargs or {}))

        assert self.hedging is not None
        return await race(start, self.hedging, may_hedge=self._may_hedge, judge=judge, discard=discard)
