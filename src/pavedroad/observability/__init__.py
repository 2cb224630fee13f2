"""Observability: structured logs, Prometheus metrics, OpenTelemetry traces."""

from pavedroad.observability.logging import add_processor, configure_logging
from pavedroad.observability.metrics import GLOBAL_REGISTRY, new_registry
from pavedroad.observability.metrics import render as render_metrics

__all__ = [
    "GLOBAL_REGISTRY",
    "add_processor",
    "configure_logging",
    "new_registry",
    "render_metrics",
]
