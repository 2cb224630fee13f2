"""Built-in panels; importing this package registers them (one module per block)."""

from pavedroad.service.dashboard.panels import audit, endpoints, events, overview, query, rollouts, slos

__all__ = ["audit", "endpoints", "events", "overview", "query", "rollouts", "slos"]
