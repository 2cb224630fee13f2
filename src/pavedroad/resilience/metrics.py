"""Prometheus metrics for every pipeline, read from their ``Stats`` at scrape time (a custom Collector).

The drivers count inside the critical section they already hold, so metrics add no lock and no label
lookup to a call. Families (label ``dependency`` on all):

==============================================  =========  ===============================================
``pavedroad_outbound_calls_total``              counter    calls by ``outcome`` (see ``OUTCOMES``)
``pavedroad_outbound_attempts_total``           counter    attempts that reached the dependency
``pavedroad_outbound_retries_total``            counter    attempts after the first
``pavedroad_outbound_hedges_total``             counter    hedged copies of slow attempts (async)
``pavedroad_outbound_retry_budget_exhausted_total`` counter retries refused by the retry budget
``pavedroad_outbound_breaker_state``            gauge      1 for the current ``state``, 0 for the others
``pavedroad_outbound_breaker_transitions_total`` counter   by ``from_state`` and ``to_state``
``pavedroad_outbound_in_flight``                gauge      calls holding a bulkhead slot
``pavedroad_outbound_call_duration_seconds``    histogram  whole-call latency, retries included
==============================================  =========  ===============================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from pavedroad.resilience.breaker import Mode
from pavedroad.resilience.core import PipelineCore
from pavedroad.resilience.observe import LATENCY_BUCKETS_S, OUTCOMES

__all__ = ["ResilienceCollector", "register_metrics"]

_registered: set[int] = set()


class ResilienceCollector(Collector):
    """Collects from the pipelines ``source()`` returns (by default, every configured dependency)."""

    def __init__(self, source: Callable[[], Iterable[PipelineCore]]) -> None:
        self._source = source

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        prefix = "pavedroad_outbound"
        calls = CounterMetricFamily(f"{prefix}_calls", "Outbound calls by outcome.", labels=["dependency", "outcome"])
        attempts = CounterMetricFamily(
            f"{prefix}_attempts", "Attempts that reached the dependency.", labels=["dependency"]
        )
        retries = CounterMetricFamily(f"{prefix}_retries", "Attempts after the first.", labels=["dependency"])
        hedges = CounterMetricFamily(f"{prefix}_hedges", "Hedged copies of slow attempts.", labels=["dependency"])
        exhausted = CounterMetricFamily(
            f"{prefix}_retry_budget_exhausted", "Retries refused by the retry budget.", labels=["dependency"]
        )
        state = GaugeMetricFamily(
            f"{prefix}_breaker_state", "1 for the breaker's current state.", labels=["dependency", "state"]
        )
        transitions = CounterMetricFamily(
            f"{prefix}_breaker_transitions", "Breaker transitions.", labels=["dependency", "from_state", "to_state"]
        )
        in_flight = GaugeMetricFamily(f"{prefix}_in_flight", "Calls holding a bulkhead slot.", labels=["dependency"])
        latency = HistogramMetricFamily(
            f"{prefix}_call_duration_seconds", "Whole-call latency, retries included.", labels=["dependency"]
        )
        for pipeline in self._source():
            name, stats = pipeline.name, pipeline.stats
            with pipeline._lock:  # a consistent snapshot of this dependency
                counts = dict(stats.calls)
                snapshot = (stats.attempts, stats.retries, stats.budget_exhausted, dict(stats.transitions))
                hedged = stats.hedges
                buckets, total, mode = list(stats.buckets), stats.latency_sum, pipeline.mode
                flying = pipeline.in_flight
            for outcome in OUTCOMES:
                calls.add_metric([name, outcome], counts[outcome])
            attempts.add_metric([name], snapshot[0])
            retries.add_metric([name], snapshot[1])
            hedges.add_metric([name], hedged)
            exhausted.add_metric([name], snapshot[2])
            for candidate in Mode:
                state.add_metric([name, candidate.value], 1.0 if candidate is mode else 0.0)
            for (old, new), count in sorted(snapshot[3].items()):
                transitions.add_metric([name, str(old), str(new)], count)
            in_flight.add_metric([name], flying)
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS_S, float("inf")), buckets, strict=True):
                running += count
                cumulative.append(("+Inf" if bound == float("inf") else repr(bound), running))
            latency.add_metric([name], cumulative, total)
        yield from (calls, attempts, retries, hedges, exhausted, state, transitions, in_flight, latency)


def register_metrics(
    source: Callable[[], Iterable[PipelineCore]], registry: CollectorRegistry = REGISTRY
) -> ResilienceCollector | None:
    """Register one collector on ``registry`` (idempotent per registry); returns it, or None if already there."""
    if id(registry) in _registered:
        return None
    collector = ResilienceCollector(source)
    registry.register(collector)
    _registered.add(id(registry))
    return collector
