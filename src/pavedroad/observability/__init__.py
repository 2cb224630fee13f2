"""Observability: structured logs, Prometheus metrics, OpenTelemetry traces."""

from pavedroad.observability.logging import add_processor, configure_logging

__all__ = ["add_processor", "configure_logging"]
