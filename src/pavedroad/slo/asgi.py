"""Wire the recorder into an ASGI app: middleware, Prometheus collector, flusher in the lifespan.

Guarantee: after ``instrument(app, recorder, registry)`` every HTTP request is recorded, the
recorder's histograms are on ``registry``, the recorder is the process default for
``record_dependency`` (registered as a ``pavedroad.resilience`` listener, so outbound calls are
recorded as ``kind = 'dependency'`` slices), and — when the app's lifespan sets ``app.state.pool`` — a ``SliceFlusher``
runs for the app's lifetime (started after the app's own startup, stopped and flushed before its
shutdown closes the pool).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from pavedroad.slo.flusher import SliceFlusher
from pavedroad.slo.middleware import SLOMiddleware
from pavedroad.slo.prom import RecorderCollector
from pavedroad.slo.recorder import Recorder, record_dependency, use_recorder

__all__ = ["instrument", "listen_to_resilience"]


def listen_to_resilience() -> None:
    """Record every resilience pipeline call on the default recorder (idempotent)."""
    from pavedroad.resilience import add_listener  # lazy: only services that record pay the import

    add_listener(record_dependency)


def instrument(
    app: Starlette, recorder: Recorder, registry: CollectorRegistry, *, flush_interval_s: float = 5.0
) -> Recorder:
    """Record ``app``'s requests into ``recorder``; expose and flush them."""
    app.add_middleware(SLOMiddleware, recorder=recorder)
    registry.register(RecorderCollector(recorder))
    app.state.slo_recorder = recorder
    use_recorder(recorder)
    listen_to_resilience()
    original: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        async with original(target) as state:
            pool = getattr(app.state, "pool", None)
            flusher = SliceFlusher(recorder, pool, interval_s=flush_interval_s).start() if pool else None
            app.state.slo_flusher = flusher
            try:
                yield state
            finally:
                if flusher is not None:
                    await flusher.stop()

    app.router.lifespan_context = lifespan
    return recorder
