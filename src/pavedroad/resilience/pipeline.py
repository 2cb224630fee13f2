"""One dependency's pipeline: deadline → bulkhead → retry (with budget) → breaker → attempt timeout.

``Pipeline`` drives one algorithm, ``PipelineCore._steps`` (sans-IO: it yields the attempts, sleeps,
discards and bulkhead waits it needs, see ``steps``), from threads (``call``/``execute``) and from asyncio
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
from pavedroad.resilience.hedging import race
from pavedroad.resilience.retry import Verdict
from pavedroad.resilience.steps import Attempt, Discard, Queue, Sleep
from pavedroad.resilience.timers import wheel_for

__all__ = ["Pipeline"]

R = TypeVar("R")
_NO_ARGS: tuple[Any, ...] = ()
_NOTHING = Attempt(None)  # never yielded: ``last`` before the first attempt (the steps never end there)


class Pipeline(PipelineCore):
    """A dependency's resilience pipeline (see the module docstring for the order and the guarantees)."""

    # -- threads ---------------------------------------------------------------------------------------------

    def call(self, fn: Callable[..., R], /, *args: Any, idempotent: bool = False, **kwargs: Any) -> R:
        """Run ``fn(*args, **kwargs)`` through the pipeline; retried only when ``idempotent``."""
        return self._drive(fn, args, kwargs, False, idempotent, None, None)

    def execute(
        self,
        attempt: Callable[[float | None], R],
        *,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None = None,
        discard: Callable[[R], object] | None = None,
    ) -> R:
        """Run ``attempt(timeout_s)`` per attempt; ``judge`` classifies results, ``discard`` frees retried ones."""
        return self._drive(attempt, _NO_ARGS, None, True, idempotent, judge, discard)

    def _drive(  # noqa: PLR0917 - the attempt's own arguments, passed through
        self,
        fn: Callable[..., R],
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        pass_timeout: bool,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None,
        discard: Callable[[R], object] | None,
    ) -> R:
        """Perform the core's steps on this thread (a sync attempt cannot be interrupted at its timeout)."""
        steps = self._steps(idempotent, judge, discard is not None, thread_waiter)
        last = _NOTHING
        for step in steps:
            if type(step) is Attempt:
                last = step
                try:
                    step.result = fn(step.timeout_s) if pass_timeout else fn(*args, **kwargs) if kwargs else fn(*args)
                except Exception as exc:  # noqa: BLE001 - the core classifies it
                    step.error = exc
                except BaseException as exc:  # noqa: BLE001 - the core frees what the call held, then re-raises
                    steps.throw(exc)
            elif type(step) is Sleep:
                self._sleep(step.seconds)
            elif type(step) is Queue:
                assert isinstance(step.waiter, ThreadWaiter)
                try:
                    step.granted = step.waiter.wait(step.patience_s)
                except BaseException as exc:  # noqa: BLE001 - the core frees its place, then re-raises
                    steps.throw(exc)
            else:
                assert discard is not None
                assert isinstance(step, Discard)
                discard(step.result)
        return last.result  # type: ignore[no-any-return] # the steps end after an attempt's answer

    # -- asyncio ---------------------------------------------------------------------------------------------

    def acall(
        self, fn: Callable[..., Awaitable[R]], /, *args: Any, idempotent: bool = False, **kwargs: Any
    ) -> Coroutine[Any, Any, R]:
        """``await p.acall(fn, ...)``: ``fn(*args, **kwargs)`` through the pipeline, retried only when ``idempotent``.

        A plain function returning the coroutine: one coroutine layer less per call.
        """
        return self._adrive(fn, args, kwargs, False, idempotent, None, None)

    def aexecute(
        self,
        attempt: Callable[[float | None], Awaitable[R]],
        *,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None = None,
        discard: Callable[[R], Awaitable[object]] | None = None,
    ) -> Coroutine[Any, Any, R]:
        """``execute`` for coroutines (returns the coroutine); the attempt is also cancelled at its timeout."""
        return self._adrive(attempt, _NO_ARGS, None, True, idempotent, judge, discard)

    async def _adrive(  # noqa: PLR0912, PLR0917 - one loop over the step kinds, kept whole
        self,
        fn: Callable[..., Awaitable[R]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        pass_timeout: bool,
        idempotent: bool,
        judge: Callable[[R], Verdict] | None,
        discard: Callable[[R], Awaitable[object]] | None,
    ) -> R:
        """Perform the core's steps in this task; an attempt still running at its timeout is cancelled."""
        steps = self._steps(idempotent, judge, discard is not None, AsyncWaiter)
        hedged = self.hedging is not None and idempotent
        last = _NOTHING
        for step in steps:
            if type(step) is Attempt:
                last = step
                timeout = step.timeout_s
                task = asyncio.current_task() if timeout is not None else None
                if task is not None and timeout is not None:
                    wheel = wheel_for(task)
                    slot = wheel.arm(timeout, task)
                try:
                    if hedged:
                        step.result = await self._hedged(fn, pass_timeout, timeout, args, kwargs, judge, discard)
                    elif pass_timeout:
                        step.result = await fn(timeout)
                    else:
                        step.result = await (fn(*args, **kwargs) if kwargs else fn(*args))
                except asyncio.CancelledError as cancelled:
                    fired = task is not None and wheel.disarm(slot, task)
                    task = None
                    if not fired:  # the caller's cancellation, not our timeout
                        steps.throw(cancelled)
                    current = asyncio.current_task()
                    if current is not None:
                        current.uncancel()
                    step.error = TimeoutError(f"attempt to {self.name!r} exceeded its {timeout:.3f}s timeout")
                except Exception as exc:  # noqa: BLE001 - the core classifies it
                    step.error = exc
                except BaseException as exc:  # noqa: BLE001 - the core frees what the call held, then re-raises
                    steps.throw(exc)
                finally:
                    if task is not None:
                        wheel.disarm(slot, task)
            elif type(step) is Sleep:
                await self._asleep(step.seconds)
            elif type(step) is Queue:
                assert isinstance(step.waiter, AsyncWaiter)
                try:
                    step.granted = await step.waiter.wait(step.patience_s)
                except BaseException as exc:  # noqa: BLE001 - the core frees its place, then re-raises
                    steps.throw(exc)
            else:
                assert discard is not None
                assert isinstance(step, Discard)
                await discard(step.result)
        return last.result  # type: ignore[no-any-return] # the steps end after an attempt's answer

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
