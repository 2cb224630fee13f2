"""``ScriptedTransport``: a dependency that behaves exactly as a test says, as an httpx transport.

Each request takes the next step of the script: a status (``503``), an exception (``httpx.ConnectError``
or an instance), or a ``Step`` with a latency, headers and a body. With a ``FakeClock``, latency moves
the clock instead of sleeping; a step slower than the request's read timeout advances the clock by the
timeout and raises ``httpx.ReadTimeout``, as a real slow server would. Works with ``httpx.Client`` and
``httpx.AsyncClient``, and from many threads at once.

    >>> import httpx
    >>> scripted = ScriptedTransport(503, Step(200, json={"ok": True}))
    >>> with httpx.Client(transport=scripted) as client:
    ...     [client.get("http://jobs.test/").status_code for _ in range(2)]
    [503, 200]
    >>> scripted.calls
    2
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pavedroad.testing.clock import FakeClock

__all__ = ["ScriptedTransport", "Step"]


@dataclass(frozen=True)
class Step:
    """One scripted answer: ``status`` (with ``json``/``content``/``headers``) or ``error``, after ``latency_s``."""

    status: int = 200
    latency_s: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes = b""
    error: type[Exception] | Exception | None = None


StepLike = Step | int | Exception | type[Exception]


def _as_step(item: StepLike) -> Step:
    if isinstance(item, Step):
        return item
    if isinstance(item, int):
        return Step(status=item)
    return Step(error=item)


class ScriptedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers requests from a script; ``then`` answers once the script is spent (default: an error)."""

    def __init__(self, *steps: StepLike, then: StepLike | None = None, clock: FakeClock | None = None) -> None:
        self._steps = [_as_step(step) for step in steps]
        self._then = _as_step(then) if then is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self.requests: list[httpx.Request] = []

    @classmethod
    def always(cls, step: StepLike, *, clock: FakeClock | None = None) -> ScriptedTransport:
        """Every request gets the same answer."""
        return cls(then=step, clock=clock)

    @property
    def calls(self) -> int:
        """Requests that reached this transport."""
        return len(self.requests)

    def _next(self, request: httpx.Request) -> Step:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
        if index < len(self._steps):
            return self._steps[index]
        if self._then is not None:
            return self._then
        raise AssertionError(
            f"ScriptedTransport: request {index + 1} ({request.method} {request.url}) is past the "
            f"script's {len(self._steps)} steps; pass then=... to answer further requests"
        )

    @staticmethod
    def _read_timeout(request: httpx.Request) -> float | None:
        timeout = request.extensions.get("timeout") or {}
        value = timeout.get("read")
        return float(value) if value is not None else None

    def _answer(self, request: httpx.Request, step: Step) -> httpx.Response:
        if step.error is not None:
            error = step.error
            if isinstance(error, type):
                error = (
                    error(f"scripted {error.__name__}", request=request)
                    if issubclass(error, httpx.RequestError)
                    else error("scripted")
                )
            raise error
        kwargs: dict[str, Any] = {"headers": dict(step.headers)}
        if step.json is not None:
            kwargs["json"] = step.json
        else:
            kwargs["content"] = step.content
        return httpx.Response(step.status, request=request, **kwargs)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        step = self._next(request)
        timeout = self._read_timeout(request)
        wait = step.latency_s if timeout is None else min(step.latency_s, timeout)
        if wait > 0:
            if self._clock is not None:
                self._clock.advance(wait)
            else:
                time.sleep(wait)
        if timeout is not None and step.latency_s > timeout:
            raise httpx.ReadTimeout("scripted latency exceeded the read timeout", request=request)
        return self._answer(request, step)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        step = self._next(request)
        timeout = self._read_timeout(request)
        wait = step.latency_s if timeout is None else min(step.latency_s, timeout)
        if wait > 0:
            if self._clock is not None:
                self._clock.advance(wait)
            else:
                await asyncio.sleep(wait)
        if timeout is not None and step.latency_s > timeout:
            raise httpx.ReadTimeout("scripted latency exceeded the read timeout", request=request)
        return self._answer(request, step)
