"""The recorder as pure ASGI middleware: every HTTP request becomes one sample, labelled by route template.

Guarantees: the route label is the matched route's template (``/v1/applications/{application_id}``),
never the raw path, so label cardinality is bounded by the app's routes (unmatched paths share
``<unmatched>``); the status is the one sent to the client (an exception before the response starts
counts as 500); the latency runs from the call until the app returns (the body is sent). The tenant
comes from ``request.state.principal`` when the auth dependency set one; the variant from
``set_cohort`` or ``request.state.slo_variant``. Pure ASGI (not ``BaseHTTPMiddleware``) for speed:
a few microseconds per request.

    app.add_middleware(SLOMiddleware, recorder=Recorder("recruiting", settings.deploy_version))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pavedroad.slo.cohort import (
    DEFAULT_VARIANT,
    STATE_KEY,
    CohortHolder,
    _holder,  # the shared holder is this module's business, not users'
)
from pavedroad.slo.recorder import UNMATCHED, Recorder

__all__ = ["SLOMiddleware", "route_template"]

_perf = time.perf_counter


def route_template(scope: Scope) -> str:
    """The template of the route that served ``scope`` (set by the router), ``<mount>/{path}`` for a
    mounted app (static files: the router sets its root path, not a route), or ``<unmatched>``."""
    route = scope.get("route")
    if route is None:
        mount = scope.get("root_path", "")
        if "endpoint" in scope and mount and mount != scope.get("app_root_path", ""):
            return f"{mount}/{{path}}"
        return UNMATCHED
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    return scope.get("root_path", "") + template if scope.get("root_path") else template


class SLOMiddleware:
    """Wrap an ASGI app; record one sample per HTTP request into ``recorder``.

    ``timer`` measures the latency (``time.perf_counter`` by default); tests inject a fake one so that
    what they compare does not depend on how loaded the machine is.
    """

    def __init__(self, app: ASGIApp, recorder: Recorder, *, timer: Callable[[], float] = _perf) -> None:
        self.app = app
        self.recorder = recorder
        self.timer = timer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] | None = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        holder = CohortHolder(state)
        token = _holder.set(holder)
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        timer = self.timer
        start = timer()
        try:
            await self.app(scope, receive, send_status)
        except BaseException:
            if status == 0:
                status = 500
            raise
        finally:
            latency = timer() - start
            _holder.reset(token)
            route = scope.get("route")
            template = getattr(route, "path_format", None) if route is not None else None
            if template is None:
                template = route_template(scope)
            principal = state.get("principal")
            self.recorder.record_http(
                template,
                scope["method"],
                status or 500,
                latency,
                holder.variant or state.get(STATE_KEY) or DEFAULT_VARIANT,
                "" if principal is None else getattr(principal, "tenant_id", ""),
            )
