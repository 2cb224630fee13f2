"""Built-in panels; importing this package registers them (one module per block)."""

from pavedroad.service.dashboard.panels import endpoints, events, overview, query, rollouts, slos

__all__ = ["endpoints", "events", "overview", "query", "rollouts", "slos"]
