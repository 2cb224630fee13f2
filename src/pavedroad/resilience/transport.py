"""The paved road for outbound HTTP: an httpx transport (sync and async) that runs every request through
its dependency's pipeline.

    client = httpx.AsyncClient(transport=pavedroad.resilience.transport("calendar"))

Per attempt, the httpx timeouts (connect, read, write, pool) are clamped to what is left of the attempt's
deadline, so a propagated deadline bounds the socket operations; the async path also cancels an attempt
that overruns as a whole. An attempt covers the request up to the response headers: a body streamed
afterwards is outside the pipeline (its reads are still bounded by the clamped read timeout).

Classification (``HttpClassifier``): 408, 429 and 5xx responses and transport errors are failures for the
breaker; 408, 429, 500, 502, 503 and 504 and transient transport errors are retried, for idempotent
requests only (``GET``, ``HEAD``, ``OPTIONS``, ``PUT``, ``DELETE``, ``TRACE``, or an ``Idempotency-Key``
header) and only when the body can be replayed; connection errors (nothing was sent) are retried for any
method. A retried response is closed before the next attempt. Requests made here are marked as "through
a pipeline" for the egress guard.
"""

from __future__ import annotations

import typing

import httpx

from pavedroad.resilience.guard import THROUGH_PIPELINE
from pavedroad.resilience.pipeline import Pipeline
from pavedroad.resilience.retry import SUCCESS, HttpClassifier, Verdict, is_idempotent

__all__ = ["ResilientTransport"]

_TIMEOUT_KEYS = ("connect", "read", "write", "pool")


def _clamp(request: httpx.Request, timeout: float | None) -> None:
    """Bound httpx's per-operation timeouts by the attempt's deadline (a copy: extensions may be shared)."""
    if timeout is None:
        return
    current = request.extensions.get("timeout") or {}
    if len(current) == 4 and all(value is not None and value <= timeout for value in current.values()):
        return  # the client's own timeouts are already tighter
    clamped = {}
    for key in _TIMEOUT_KEYS:
        value = current.get(key)
        clamped[key] = timeout if value is None or value > timeout else value
    request.extensions = {**request.extensions, "timeout": clamped}


class ResilientTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps an inner transport (default: httpx's own, created on first use) in ``pipeline``."""

    def __init__(
        self,
        pipeline: Pipeline,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        *,
        classifier: HttpClassifier | None = None,
    ) -> None:
        self.pipeline = pipeline
        own = pipeline.classifier
        self.classifier = classifier or (own if isinstance(own, HttpClassifier) else HttpClassifier())
        self._inner = inner
        self._sync: httpx.BaseTransport | None = inner if isinstance(inner, httpx.BaseTransport) else None
        self._async: httpx.AsyncBaseTransport | None = inner if isinstance(inner, httpx.AsyncBaseTransport) else None
        failures = self.classifier.failure_statuses
        wall = pipeline._wall

        def judge_for(idempotent: bool) -> typing.Callable[[httpx.Response], Verdict]:
            def judge(response: httpx.Response) -> Verdict:
                if response.status_code not in failures:
                    return SUCCESS
                return self.classifier.response(response.status_code, response.headers, idempotent, wall())

            return judge

        self._judges = (judge_for(False), judge_for(True))

    @property
    def name(self) -> str:
        return self.pipeline.name

    # -- sync ------------------------------------------------------------------------------------------------

    def _sync_inner(self) -> httpx.BaseTransport:
        if self._sync is None:
            if self._inner is not None:
                raise TypeError(f"the inner transport of {self.name!r} is async-only; use httpx.AsyncClient")
            self._sync = httpx.HTTPTransport()
        return self._sync

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._sync or self._sync_inner()
        idempotent = is_idempotent(request.method, request.headers) and hasattr(request, "_content")
        name = self.pipeline.name

        def attempt(timeout_s: float | None) -> httpx.Response:
            _clamp(request, timeout_s)
            token = THROUGH_PIPELINE.set(name)
            try:
                return inner.handle_request(request)
            finally:
                THROUGH_PIPELINE.reset(token)

        return self.pipeline.execute(
            attempt, idempotent=idempotent, judge=self._judges[idempotent], discard=httpx.Response.close
        )

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()

    # -- async -----------------------------------------------------------------------------------------------

    def _async_inner(self) -> httpx.AsyncBaseTransport:
        if self._async is None:
            if self._inner is not None:
                raise TypeError(f"the inner transport of {self.name!r} is sync-only; use httpx.Client")
            self._async = httpx.AsyncHTTPTransport()
        return self._async

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._async or self._async_inner()
        # httpx keeps bytes bodies in memory (``_content``); generator bodies are one-shot, never retried
        idempotent = is_idempotent(request.method, request.headers) and hasattr(request, "_content")
        name = self.pipeline.name

        async def attempt(timeout_s: float | None) -> httpx.Response:
            _clamp(request, timeout_s)
            token = THROUGH_PIPELINE.set(name)
            try:
                return await inner.handle_async_request(request)
            finally:
                THROUGH_PIPELINE.reset(token)

        try:
            return await self.pipeline.aexecute(
                attempt, idempotent=idempotent, judge=self._judges[idempotent], discard=httpx.Response.aclose
            )
        except TimeoutError as exc:
            if type(exc) is not TimeoutError:
                raise
            # the pipeline cancelled an attempt that overran as a whole: say it the way httpx callers expect
            raise httpx.ReadTimeout(str(exc), request=request) from exc

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()
