"""An API SLO selects API routes only: ``route_prefix`` in the spec is applied by every reader of slices
(the in-memory twin here, the SQL in tests/integration/slo) and by the generated Prometheus rules."""

from __future__ import annotations

from pathlib import Path

from pavedroad.slo import MemorySliceSource, Recorder, load_specs
from pavedroad.slo.promql import recorder_queries

SPEC = Path(__file__).resolve().parents[3] / "src" / "pavedroad" / "recruiting" / "slos.yaml"


def test_the_api_availability_slo_leaves_dashboard_static_docs_and_unmatched_out() -> None:
    (slo,) = [s for s in load_specs(SPEC) if s.name == "api-availability"]
    assert slo.sli is not None
    assert slo.sli.route_prefix == "/v1/"
    recorder = Recorder("recruiting", time_source=lambda: 1000.0)
    for route, status in (("/v1/jobs", 200), ("/v1/jobs", 503), ("/v1/applications/{application_id}", 200),
                          ("/dashboard", 500), ("/dashboard/panels/{name}", 200), ("/dashboard/static/{path}", 200),
                          ("/docs", 200), ("/openapi.json", 200), ("<unmatched>", 404)):  # fmt: skip
        recorder.record_http(route, "GET", status, 0.01, tenant="acme")
    source = MemorySliceSource(recorder.drain())
    counts = source.window_counts(slo, 1010.0, [3600.0])
    assert (counts[""][3600.0].bad, counts[""][3600.0].total) == (1, 3)
    assert (counts["acme"][3600.0].bad, counts["acme"][3600.0].total) == (1, 3)


def test_the_prefix_reaches_the_prometheus_rules() -> None:
    (slo,) = [s for s in load_specs(SPEC) if s.name == "api-availability"]
    assert slo.sli is not None
    queries = recorder_queries(slo, slo.sli)
    assert queries.total_query is not None
    assert queries.error_query is not None
    assert 'route=~"/v1/.*"' in queries.total_query
    assert 'route=~"/v1/.*"' in queries.error_query
