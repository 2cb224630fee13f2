"""Our default rules fix Sloth's averaging bias and guard against low traffic; recorder SLIs become PromQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pavedroad.slo import SLOSpecError, generate_rules, load_specs, parse_specs, rules_yaml

SPEC = Path(__file__).resolve().parents[3] / "src" / "pavedroad" / "recruiting" / "slos.yaml"
EVENTS = {"version": "prometheus/v1", "service": "svc", "slos": [{
    "name": "avail", "objective": 99.9,
    "sli": {"events": {"error_query": 'sum(rate(reqs{code=~"5.."}[{{.window}}]))',
                       "total_query": "sum(rate(reqs[{{.window}}]))"}},
    "alerting": {"name": "SvcAvail"},
}]}


def _rules(document: dict[str, object]) -> dict[str, dict[str, Any]]:
    return {str(r.get("record") or r.get("alert")) + str(r.get("labels", {}).get("sloth_severity", "")): r
            for g in document["groups"] for r in g["rules"]}  # type: ignore[attr-defined]


def test_period_ratio_is_events_weighted_in_our_mode_and_averaged_in_sloth_mode() -> None:
    slos = parse_specs([EVENTS])
    ours = _rules(generate_rules(slos))
    sloth = _rules(generate_rules(slos, mode="sloth"))
    period = ours["slo:sli_error:ratio_rate30d"]["expr"]
    assert "sum_over_time(slo:sli_error_events:rate5m" in period
    assert "sum_over_time(slo:sli_events:rate5m" in period
    assert "count_over_time" not in period
    assert "count_over_time(slo:sli_error:ratio_rate5m" in sloth["slo:sli_error:ratio_rate30d"]["expr"]
    assert ours["slo:sli_events:rate1h"]["expr"] == "sum(rate(reqs[1h]))"


def test_alerts_carry_the_low_traffic_guard_in_our_mode_only() -> None:
    slos = parse_specs([EVENTS])
    ours = _rules(generate_rules(slos))["SvcAvailpage"]["expr"]
    assert "slo:sli_events:rate1h" in ours
    assert ">= 100" in ours  # default min_events
    assert "sli_events" not in _rules(generate_rules(slos, mode="sloth"))["SvcAvailpage"]["expr"]


def test_raw_ratio_slis_keep_the_average_because_they_have_no_counts() -> None:
    raw = {"version": "prometheus/v1", "service": "svc", "slos": [{
        "name": "raw", "objective": 95, "sli": {"raw": {"error_ratio_query": "avg(err_ratio[{{.window}}])"}},
        "alerting": {"page_alert": {"disable": True}, "ticket_alert": {"disable": True}}}]}
    rules = _rules(generate_rules(parse_specs([raw])))
    assert "count_over_time" in rules["slo:sli_error:ratio_rate30d"]["expr"]


def test_recruiting_spec_becomes_rules_over_the_recorder_histograms() -> None:
    document = generate_rules(load_specs(SPEC))
    text = "\n".join(str(r["expr"]) for g in document["groups"] for r in g["rules"])
    assert "http_request_duration_seconds_count" in text
    assert 'le="0.3"' in text
    assert 'status_class="5xx"' in text
    assert "tenant" not in text  # per-tenant SLOs are computed from slices, never from Prometheus labels
    again = yaml.safe_load(rules_yaml(document))
    assert again == document


def test_a_latency_threshold_off_the_buckets_is_refused() -> None:
    doc = {"version": "prometheus/v1", "service": "svc", "slos": [{
        "name": "lat", "objective": 99, "sli": {"plugin": {"id": "pavedroad/latency",
                                                           "options": {"threshold": "333ms"}}}}]}
    slos = parse_specs([doc])
    with pytest.raises(SLOSpecError, match="not a histogram bucket") as err:
        generate_rules(slos)
    assert err.value.hint
    assert generate_rules(slos, buckets=(0.333, 1.0))["groups"]


def test_pyrra_windows_add_for_durations() -> None:
    doc = {"version": "prometheus/v1", "service": "svc", "slos": [{
        "name": "avail", "objective": 99.9, "sli": {"plugin": {"id": "pavedroad/availability",
                                                               "options": {"windows": "pyrra"}}}}]}
    rules = _rules(generate_rules(parse_specs([doc], period_s=28 * 86400)))
    assert rules["SvcAvailpage"]["for"] == "2m"
    assert rules["SvcAvailticket"]["for"] == "1h"
