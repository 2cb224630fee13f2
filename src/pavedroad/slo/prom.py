"""The recorder's Prometheus view: classic histograms built from its cached label children at scrape time.

Guarantee: ``http_request_duration_seconds{service, route, method, status_class, version, variant}``
and ``pavedroad_dependency_duration_seconds{service, dependency, outcome, version, variant}`` are
cumulative classic histograms (``_bucket{le}``, ``_count``, ``_sum``) that count every sample the
recorder saw, exactly (bucket bounds are compared, not approximated). There is never a tenant label:
per-tenant views come from the stored slices. Each label set is resolved once, when first seen, so a
request pays a bisect and two additions, not a label lookup.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from pavedroad.slo.recorder import Recorder

__all__ = ["DEPENDENCY_METRIC", "HTTP_METRIC", "RecorderCollector"]

HTTP_METRIC = "http_request_duration_seconds"
DEPENDENCY_METRIC = "pavedroad_dependency_duration_seconds"


def _le(bound: float) -> str:
    return repr(float(bound))


class RecorderCollector(Collector):
    """A ``prometheus_client`` collector over one recorder's histogram children."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def collect(self) -> Iterator[HistogramMetricFamily]:
        rec = self.recorder
        http = HistogramMetricFamily(
            HTTP_METRIC,
            "Latency of served HTTP requests by route template.",
            labels=("service", "route", "method", "status_class", "version", "variant"),
        )
        dependency = HistogramMetricFamily(
            DEPENDENCY_METRIC,
            "Latency of outbound dependency calls through the resilience pipeline.",
            labels=("service", "dependency", "outcome", "version", "variant"),
        )
        bounds = [*(_le(b) for b in rec.buckets), "+Inf"]
        for (kind, route, method, klass, variant, _tenant), child in list(rec.children.items()):
            running = 0
            buckets = []
            for le, n in zip(bounds, list(child.counts), strict=True):
                running += n
                buckets.append((le, float(running)))
            if kind == "http":
                http.add_metric([rec.service, route, method, klass, rec.version, variant], buckets, child.sum)
            else:
                dependency.add_metric([rec.service, route, klass, rec.version, variant], buckets, child.sum)
        yield http
        yield dependency

    def describe(self) -> Iterator[HistogramMetricFamily]:
        return iter(())
