"""The steps a call's policy core asks its driver to perform: the only I/O a pipeline does.

``PipelineCore._steps`` is a generator that decides everything (deadline, bulkhead, retry with budget,
breaker, attempt timeout) and yields one of these; the sync and async drivers in ``pipeline.py`` perform it
and write the outcome on it (``Attempt``: the result or the exception; ``Queue``: whether the slot came).
A refusal, or the dependency's exception, is raised out of the generator; otherwise the caller gets the
last ``Attempt``'s result. So the policy exists once, whatever colour the caller's I/O is.
"""

from __future__ import annotations

from typing import Any

from pavedroad.resilience.bulkhead import Waiter

__all__ = ["Attempt", "Discard", "Queue", "Sleep", "Step"]


class Attempt:
    """Call the dependency once; ``timeout_s`` is what the attempt may take (``None``: no limit)."""

    __slots__ = ("error", "result", "timeout_s")

    def __init__(self, timeout_s: float | None) -> None:
        self.timeout_s = timeout_s
        self.result: Any = None
        self.error: Exception | None = None


class Sleep:
    """Wait ``seconds`` (a rate-limit reservation or a retry back-off) through the pipeline's clock."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Discard:
    """Free ``result``, a retried attempt's response the caller will never see."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result


class Queue:
    """Wait up to ``patience_s`` on ``waiter`` for a bulkhead slot; ``granted`` says whether it came."""

    __slots__ = ("granted", "patience_s", "waiter")

    def __init__(self, waiter: Waiter, patience_s: float) -> None:
        self.waiter = waiter
        self.patience_s = patience_s
        self.granted = False


Step = Attempt | Sleep | Discard | Queue
