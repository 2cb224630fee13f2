"""Request context as pure ASGI middleware: a request id on every request, log line and response,
and an OpenTelemetry server span (a no-op unless tracing is configured).

Pure ASGI rather than ``BaseHTTPMiddleware``: it adds no task hop and no body buffering per request.
"""

from __future__ import annotations

import uuid

import structlog
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pavedroad.observability.tracing import extract_context, tracer

__all__ = ["RequestContextMiddleware"]


def _request_id(raw: bytes | None) -> str:
    if raw and len(raw) <= 64 and raw.isascii() and raw.decode().isprintable():
        return raw.decode()
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Sets ``request.state.request_id`` (from ``X-Request-ID`` or new), echoes it, traces the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = _request_id(headers.get(b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), rid_header]
                span.set_attribute("http.response.status_code", message["status"])
            await send(message)

        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()}
        with (
            structlog.contextvars.bound_contextvars(request_id=rid),
            tracer().start_as_current_span(
                f"{scope['method']} {scope['path']}", context=extract_context(carrier), kind=SpanKind.SERVER
            ) as span,
        ):
            if span.is_recording():
                span.set_attribute("http.request.method", scope["method"])
                span.set_attribute("pavedroad.request_id", rid)
            await self.app(scope, receive, send_with_id)
            route = scope.get("route")
            if span.is_recording() and route is not None and hasattr(route, "path"):
                span.update_name(f"{scope['method']} {route.path}")
