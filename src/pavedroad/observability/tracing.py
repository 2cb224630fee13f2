"""OpenTelemetry tracing, chosen by ``PAVEDROAD_OTEL_EXPORTER``: none (no-op), console, or otlp.

With ``none`` the global tracer stays OpenTelemetry's no-op, so spans cost almost nothing. With
``otlp`` spans go to ``OTEL_EXPORTER_OTLP_ENDPOINT`` over HTTP (the standard OpenTelemetry variables
apply). W3C ``traceparent`` headers are honoured, so pavedroad joins its callers' traces.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

__all__ = ["configure_tracing", "extract_context", "tracer"]

_configured: list[str] = []


def configure_tracing(exporter: str, service_name: str = "pavedroad", version: str = "dev") -> None:
    """Install a tracer provider once per process for ``exporter`` (none, console, otlp)."""
    if _configured or exporter == "none":
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    span_exporter: SpanExporter
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    else:
        span_exporter = ConsoleSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service_name, "service.version": version}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    _configured.append(exporter)


def tracer() -> trace.Tracer:
    """pavedroad's tracer (no-op until ``configure_tracing`` installs a provider)."""
    return trace.get_tracer("pavedroad")


def extract_context(headers: Mapping[str, str]) -> Context:
    """The caller's trace context from W3C ``traceparent``/``tracestate`` headers."""
    return propagate.extract(dict(headers))
