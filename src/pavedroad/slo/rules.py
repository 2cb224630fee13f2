"""Prometheus recording and alerting rules from SLOs, Sloth-compatible or volume-weighted (default).

Guarantees:
- ``mode="sloth"`` writes the groups, rule names, labels, annotations and expressions Sloth writes for
  the same spec and flags (checked against Sloth's golden files, numbers compared as numbers).
- ``mode="pavedroad"`` (default) differs where Sloth is biased or noisy: the period error ratio is
  ``Σ bad events / Σ events`` over the period (Sloth averages 5-minute *ratios*, so a quiet night weighs
  as much as a busy day), and each window pair also needs ``min_events`` in its long window before it
  alerts (low traffic stays quiet). A raw-ratio SLI has no counts, so it keeps Sloth's average.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import yaml

from pavedroad.slo.promql import error_events, event_queries, go_float, sli_error_ratio, total_events
from pavedroad.slo.recorder import DEFAULT_BUCKETS
from pavedroad.slo.spec import SLO, AlertTier
from pavedroad.slo.windows import DAY, Window, format_duration, resolve_windows

__all__ = ["generate_rules", "rules_yaml"]

Mode = Literal["pavedroad", "sloth"]
_SUMMARY = "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected."
_TITLE = "({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn rate is too fast."


def _selector(slo: SLO) -> str:
    return f'{{sloth_id="{slo.slo_id}", sloth_service="{slo.service}", sloth_slo="{slo.name}"}}'


def _ids(slo: SLO) -> dict[str, str]:
    return {"sloth_id": slo.slo_id, "sloth_service": slo.service, "sloth_slo": slo.name}


def _sli_group(
    slo: SLO, windows: list[Window], labels: Mapping[str, str], mode: Mode, buckets: Sequence[float]
) -> dict[str, Any]:
    prom = event_queries(slo, buckets)
    durations = sorted({w.short_s for w in windows} | {w.long_s for w in windows})
    base = min(durations)
    rules: list[dict[str, Any]] = []
    for seconds in durations:
        w = format_duration(seconds)
        window_labels = {**labels, **_ids(slo), "sloth_window": w}
        rules.append(
            {"record": f"slo:sli_error:ratio_rate{w}", "expr": sli_error_ratio(prom, w), "labels": window_labels}
        )
    weighted = mode == "pavedroad" and error_events(prom, "x") is not None
    if weighted:
        for seconds in durations:
            w = format_duration(seconds)
            window_labels = {**labels, **_ids(slo), "sloth_window": w}
            rules.append({"record": f"slo:sli_events:rate{w}", "expr": total_events(prom, w), "labels": window_labels})
        b = format_duration(base)
        rules.append(
            {
                "record": f"slo:sli_error_events:rate{b}",
                "expr": error_events(prom, b),
                "labels": {**labels, **_ids(slo), "sloth_window": b},
            }
        )
    p, b, sel = format_duration(slo.period_s), format_duration(base), _selector(slo)
    if weighted:
        expr = (
            f"sum_over_time(slo:sli_error_events:rate{b}{sel}[{p}])\n/ ignoring (sloth_window)\n"
            f"sum_over_time(slo:sli_events:rate{b}{sel}[{p}])\n"
        )
    else:
        expr = (
            f"sum_over_time(slo:sli_error:ratio_rate{b}{sel}[{p}])\n/ ignoring (sloth_window)\n"
            f"count_over_time(slo:sli_error:ratio_rate{b}{sel}[{p}])\n"
        )
    rules.append(
        {"record": f"slo:sli_error:ratio_rate{p}", "expr": expr, "labels": {**labels, **_ids(slo), "sloth_window": p}}
    )
    return {"name": f"sloth-slo-sli-recordings-{slo.slo_id}", "rules": rules}


def _meta_group(slo: SLO, windows: list[Window], labels: Mapping[str, str], mode: Mode, version: str) -> dict[str, Any]:
    objective = go_float(slo.objective_percent / 100)
    sel, ids = _selector(slo), {**labels, **_ids(slo)}
    b = format_duration(min([w.short_s for w in windows] + [w.long_s for w in windows]))
    p = format_duration(slo.period_s)
    sloth_mode = {"prometheus/v1": "cli-gen-prom", "openslo/v1alpha": "cli-gen-openslo"}.get(
        slo.spec_format, "cli-gen-openslo"
    )
    info = {
        **ids,
        "sloth_mode": sloth_mode if mode == "sloth" else "pavedroad",
        "sloth_objective": go_float(slo.objective_percent),
        "sloth_spec": slo.spec_format,
        "sloth_version": version,
    }
    return {
        "name": f"sloth-slo-meta-recordings-{slo.slo_id}",
        "rules": [
            {"record": "slo:objective:ratio", "expr": f"vector({objective})", "labels": ids},
            {"record": "slo:error_budget:ratio", "expr": f"vector(1-{objective})", "labels": ids},
            {"record": "slo:time_period:days", "expr": f"vector({go_float(slo.period_s / DAY)})", "labels": ids},
            {
                "record": "slo:current_burn_rate:ratio",
                "labels": ids,
                "expr": (
                    f"slo:sli_error:ratio_rate{b}{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                    f"slo:error_budget:ratio{sel}\n"
                ),
            },
            {
                "record": "slo:period_burn_rate:ratio",
                "labels": ids,
                "expr": (
                    f"slo:sli_error:ratio_rate{p}{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
                    f"slo:error_budget:ratio{sel}\n"
                ),
            },
            {
                "record": "slo:period_error_budget_remaining:ratio",
                "labels": ids,
                "expr": f"1 - slo:period_burn_rate:ratio{sel}",
            },
            {"record": "sloth_slo_info", "expr": "vector(1)", "labels": info},
        ],
    }


def _pair(slo: SLO, window: Window, mode: Mode, weighted: bool) -> str:
    budget, factor, sel = go_float(slo.error_budget), go_float(window.burn_rate), _selector(slo)
    short, long_ = format_duration(window.short_s), format_duration(window.long_s)
    lines = [
        f"    max(slo:sli_error:ratio_rate{short}{sel} > ({factor} * {budget})) without (sloth_window)",
        f"    max(slo:sli_error:ratio_rate{long_}{sel} > ({factor} * {budget})) without (sloth_window)",
    ]
    if mode == "pavedroad" and weighted and slo.alerting.min_events > 0:
        lines.append(
            f"    max(slo:sli_events:rate{long_}{sel} * {go_float(window.long_s)} >= "
            f"{slo.alerting.min_events}) without (sloth_window)"
        )
    return "(\n" + "\n    and\n".join(lines) + "\n)"


def _alert_group(slo: SLO, windows: list[Window], mode: Mode, buckets: Sequence[float]) -> dict[str, Any] | None:
    weighted = error_events(event_queries(slo, buckets), "x") is not None
    rules = []
    for severity, tier in (("page", slo.alerting.page), ("ticket", slo.alerting.ticket)):
        assert isinstance(tier, AlertTier)
        pairs = [w for w in windows if w.severity == severity]
        if tier.disable or not pairs:
            continue
        annotations = {
            "summary": _SUMMARY,
            "title": _TITLE.format(severity=severity),
            **slo.alerting.annotations,
            **tier.annotations,
        }
        rule: dict[str, Any] = {
            "alert": slo.alert_name,
            "expr": "\nor\n".join(_pair(slo, w, mode, weighted) for w in pairs) + "\n",
            "labels": {**slo.alerting.labels, **tier.labels, "sloth_severity": severity},
            "annotations": annotations,
        }
        wait = min(w.for_s for w in pairs)  # one rule ORs the pairs: the quickest pair sets the wait
        if mode == "pavedroad" and wait > 0:
            rule["for"] = format_duration(wait)
        rules.append(rule)
    return {"name": f"sloth-slo-alerts-{slo.slo_id}", "rules": rules} if rules else None


def generate_rules(
    slos: Sequence[SLO],
    *,
    mode: Mode = "pavedroad",
    extra_labels: Mapping[str, str] | None = None,
    disable_alerts: bool = False,
    disable_recordings: bool = False,
    version: str = "pavedroad",
    buckets: Sequence[float] = DEFAULT_BUCKETS,
) -> dict[str, Any]:
    """The ``{"groups": [...]}`` document for ``slos`` (per SLO: SLI recordings, meta recordings, alerts)."""
    groups = []
    for slo in slos:
        windows = resolve_windows(slo.alerting.windows, slo.period_s)
        labels = {**slo.labels, **(extra_labels or {})}
        if not disable_recordings:
            groups.append(_sli_group(slo, windows, labels, mode, buckets))
            groups.append(_meta_group(slo, windows, labels, mode, version))
        if not disable_alerts and slo.alerting.enabled:
            alerts = _alert_group(slo, windows, mode, buckets)
            if alerts is not None:
                groups.append(alerts)
    return {"groups": groups}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def rules_yaml(document: Mapping[str, Any], *, version: str = "pavedroad") -> str:
    """Render rules as YAML with a generated-file header (multi-line expressions as literal blocks)."""
    header = f"# Code generated by pavedroad ({version}) from SLO specs.\n# DO NOT EDIT.\n\n"
    return header + yaml.dump(dict(document), Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
