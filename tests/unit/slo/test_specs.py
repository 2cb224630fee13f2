"""Spec validation: clear refusals with a location and a hint; pavedroad extensions in both formats."""

from __future__ import annotations

from typing import Any

import pytest

from pavedroad.slo import SLOSpecError, parse_specs, read_documents
from pavedroad.slo.windows import HOUR, MINUTE


def _sloth(**slo: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "s", "objective": 99.9, "sli": {"plugin": {"id": "pavedroad/availability"}}}
    return {"version": "prometheus/v1", "service": "svc", "slos": [{**base, **slo}]}


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (_sloth(objective=100), "objective_percent"),
        (_sloth(objective=0), "objective_percent"),
        (_sloth(sli={}), "exactly one of events, raw or plugin"),
        (_sloth(sli={"plugin": {"id": "pavedroad/latency"}}), "needs a threshold"),
        (_sloth(sli={"plugin": {"id": "acme/magic"}}), "unknown SLI plugin"),
        (_sloth(sli={"plugin": {"id": "pavedroad/availability", "options": {"colour": "red"}}}), "unknown option"),
        (_sloth(sli={"plugin": {"id": "pavedroad/availability", "options": {"windows": "fast"}}}), "preset"),
        (_sloth(sli={"events": {"error_query": "x"}}), "total_query"),
        (_sloth(sli={"events": {"error_query": "x", "total_query": "y"}}), "alerting.name is required"),
        ({"version": "prometheus/v1", "service": "svc", "slos": []}, "slos"),
        ({"kind": "Thing"}, "not an SLO spec"),
    ],
)
def test_bad_specs_are_refused_with_a_location(doc: dict[str, Any], match: str) -> None:
    with pytest.raises(SLOSpecError, match=match) as err:
        parse_specs([doc], where="f.yaml")
    assert "f.yaml" in err.value.message
    assert err.value.status == 400


def test_duplicate_slo_ids_are_refused() -> None:
    doc = _sloth()
    doc["slos"].append(dict(doc["slos"][0]))
    with pytest.raises(SLOSpecError, match="defined twice"):
        parse_specs([doc])


OPENSLO = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: jobs-latency
  annotations:
    pavedroad.dev/per-tenant: "true"
    pavedroad.dev/min-events: "50"
spec:
  service: recruiting
  indicatorRef: jobs-latency-sli
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{op: lte, value: 0.3, target: 0.99}]
  alertPolicies: [{alertPolicyRef: fast-burn}]
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: jobs-latency-sli}
spec:
  thresholdMetric:
    metricSource: {type: pavedroad, spec: {route: /v1/jobs, method: get}}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: fast-burn}
spec:
  conditions:
    - kind: AlertCondition
      metadata: {name: page-1h}
      spec:
        severity: page
        condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, shortWindow: 5m}
    - conditionRef: ticket-3d
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: ticket-3d}
spec:
  severity: ticket
  condition: {kind: burnrate, op: gt, threshold: 1, lookbackWindow: 3d}
"""


def test_openslo_v1_with_pavedroad_source_and_multi_window_conditions() -> None:
    (slo,) = parse_specs(read_documents(OPENSLO))
    assert slo.sli is not None
    assert (slo.sli.kind, slo.sli.route, slo.sli.method, slo.sli.threshold_s) == ("latency", "/v1/jobs", "GET", 0.3)
    assert slo.per_tenant
    assert slo.alerting.min_events == 50
    assert slo.period_s == 28 * 24 * HOUR
    windows = slo.alerting.windows
    assert not isinstance(windows, str)
    assert [(w.severity, w.long_s, w.short_s, w.burn_rate) for w in windows] == [
        ("page", HOUR, 5 * MINUTE, 14.4),
        ("ticket", 72 * HOUR, 6 * HOUR, 1.0),
    ]


def test_openslo_source_we_cannot_evaluate_is_refused() -> None:
    text = OPENSLO.replace("type: pavedroad", "type: Datadog")
    with pytest.raises(SLOSpecError, match="cannot be evaluated") as err:
        parse_specs(read_documents(text))
    assert err.value.code == "SLO107"


def test_openslo_target_outside_zero_one_is_refused() -> None:
    with pytest.raises(SLOSpecError, match="target"):
        parse_specs(read_documents(OPENSLO.replace("target: 0.99", "target: 99")))
