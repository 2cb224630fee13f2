"""Prometheus metrics of the event pipeline, in the default registry (or one passed in).

Gauges are set by the running relay, consumers and sink; ``pavedroad events status`` computes the same
figures on demand. Creating the metrics twice (e.g. two relays in one process) reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["EventMetrics", "event_metrics"]


@dataclass(frozen=True)
class EventMetrics:
    outbox_backlog: Gauge
    relay_lag_seconds: Gauge
    published_total: Counter
    consumer_lag: Gauge
    consumer_handled_total: Counter
    dead_letters_total: Counter
    dlq_messages: Gauge
    sink_rows_total: Counter
    sink_batch_seconds: Histogram


_cache: dict[int, EventMetrics] = {}


def event_metrics(registry: CollectorRegistry = REGISTRY) -> EventMetrics:
    """The pipeline's metrics in ``registry`` (created once per registry)."""
    found = _cache.get(id(registry))
    if found is not None:
        return found
    metrics = EventMetrics(
        outbox_backlog=Gauge(
            "pavedroad_events_outbox_backlog", "Outbox rows not yet acknowledged by JetStream.", registry=registry
        ),
        relay_lag_seconds=Gauge(
            "pavedroad_events_relay_lag_seconds", "Age of the oldest undelivered outbox row.", registry=registry
        ),
        published_total=Counter(
            "pavedroad_events_published", "Events the relay published and JetStream acknowledged.", registry=registry
        ),
        consumer_lag=Gauge(
            "pavedroad_events_consumer_lag",
            "Messages a consumer has not yet processed.",
            ["consumer"],
            registry=registry,
        ),
        consumer_handled_total=Counter(
            "pavedroad_events_consumer_handled",
            "Messages handled, by outcome.",
            ["consumer", "outcome"],
            registry=registry,
        ),
        dead_letters_total=Counter(
            "pavedroad_events_dead_letters",
            "Messages sent to the dead-letter stream.",
            ["consumer"],
            registry=registry,
        ),
        dlq_messages=Gauge("pavedroad_events_dlq_messages", "Messages in the dead-letter stream.", registry=registry),
        sink_rows_total=Counter(
            "pavedroad_warehouse_sink_events", "Events loaded into the warehouse.", registry=registry
        ),
        sink_batch_seconds=Histogram(
            "pavedroad_warehouse_sink_batch_seconds", "Time to load one micro-batch into DuckDB.", registry=registry
        ),
    )
    _cache[id(registry)] = metrics
    return metrics
