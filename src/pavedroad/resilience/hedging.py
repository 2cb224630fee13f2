"""Hedging (Polly v8, "The Tail at Scale"): when an attempt is slow, race it with another.

Inside one attempt of an async pipeline, ``race`` starts the callable; whenever ``delay_s`` passes with
no acceptable answer, and fewer than ``max_hedges`` extra copies run, it starts another copy — if the
retry budget grants a token, since a hedge is extra load exactly like a retry. The first answer the
judge does not call a failure wins and the others are cancelled (and their responses discarded); when
every copy fails, the last failure is the attempt's result. Only idempotent calls are hedged, and only
by the async driver: a sync hedge would need a thread per copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pavedroad.resilience.retry import Verdict

__all__ = ["Hedging", "race"]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Hedging:
    delay_s: float = 0.5
    max_hedges: int = 1

    def __post_init__(self) -> None:
        if self.delay_s < 0 or self.max_hedges < 1:
            raise ValueError("delay_s >= 0 and max_hedges >= 1")


async def race(
    start: Callable[[], Awaitable[R]],
    hedging: Hedging,
    *,
    may_hedge: Callable[[], bool],
    judge: Callable[[R], Verdict] | None,
    discard: Callable[[R], Awaitable[object]] | None,
) -> R:
    """Run ``start()`` with up to ``hedging.max_hedges`` hedged copies; the first acceptable answer wins."""
    pending: set[asyncio.Future[Any]] = {asyncio.ensure_future(start())}
    hedges = 0
    last: asyncio.Future[Any] | None = None
    try:
        while pending:
            wait_s = hedging.delay_s if hedges < hedging.max_hedges else None
            done, pending = await asyncio.wait(pending, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                if may_hedge():
                    pending.add(asyncio.ensure_future(start()))
                    hedges += 1
                else:
                    hedges = hedging.max_hedges  # no budget for hedges: just wait for what runs
                continue
            for future in done:
                if future.exception() is None and (judge is None or not judge(future.result()).failed):
                    winner: R = future.result()
                    for other in done - {future}:
                        await _drop(other, discard)
                    return winner
                if last is not None:
                    await _drop(last, discard)
                last = future
        assert last is not None
        return cast(R, last.result())  # every copy failed: the last failure stands (raised if it was an error)
    finally:
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def _drop(future: asyncio.Future[Any], discard: Callable[[Any], Awaitable[object]] | None) -> None:
    if discard is not None and not future.cancelled() and future.exception() is None:
        await discard(future.result())
