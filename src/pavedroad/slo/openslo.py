"""OpenSLO in: parse v1 documents, inline references, convert SLOs to ``SLO`` (plus Sloth's v1alpha).

Guarantees: ``inline`` replaces ``indicatorRef``, ``alertPolicyRef``, ``conditionRef`` and ``targetRef``
with the referenced objects (as the OpenSLO Go SDK's inliner does, keeping the referenced documents) and
refuses a reference that resolves to nothing. ``to_slos`` turns each objective of each SLO into one
``SLO``: a ``pavedroad`` metric source gives a recorder SLI (ratio ⇒ availability, threshold ⇒ latency
under ``objective.value`` seconds), a Prometheus one gives PromQL for the rules generator. pavedroad
extensions ride in ``metadata.annotations``: ``pavedroad.dev/per-tenant``, ``pavedroad.dev/min-events``,
``pavedroad.dev/windows``; burn-rate ``AlertCondition``s become window pairs (``shortWindow`` is our
multi-window extension, default ``lookbackWindow / 12`` as in the Workbook).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from pavedroad.slo.openslo_model import (
    AlertConditionDoc,
    AlertPolicyDoc,
    DataSourceDoc,
    MetricHolder,
    NotificationTargetDoc,
    Objective,
    ServiceDoc,
    SLIDoc,
    SLIInline,
    SLODoc,
    openslo_duration,
)
from pavedroad.slo.spec import SLO, Alerting, AlertTier, PromSLI, RecorderSLI, SLOSpecError, validation_error
from pavedroad.slo.windows import DAY, WindowRule

__all__ = ["KINDS", "inline", "parse_openslo", "to_slos", "v1alpha_to_slos"]

KINDS: dict[str, type[BaseModel]] = {
    "SLO": SLODoc,
    "SLI": SLIDoc,
    "AlertPolicy": AlertPolicyDoc,
    "AlertCondition": AlertConditionDoc,
    "AlertNotificationTarget": NotificationTargetDoc,
    "Service": ServiceDoc,
    "DataSource": DataSourceDoc,
}
_ANN = "pavedroad.dev/"
_TRUE = {"true", "yes", "1", "on"}


def _index(docs: Sequence[Mapping[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: dict(d) for d in docs if d.get("kind") == kind and isinstance(d.get("metadata"), dict)
    }


def _resolve(table: dict[str, dict[str, Any]], name: str, what: str, where: str) -> dict[str, Any]:
    if name not in table:
        known = ", ".join(sorted(table)) or "none"
        raise SLOSpecError(
            f"{where}: {what} '{name}' is not defined in these documents",
            code="SLO105",
            hint=f"define a {what} named '{name}' (known: {known})",
        )
    found = table[name]
    return {"kind": found["kind"], "metadata": copy.deepcopy(found["metadata"]), "spec": copy.deepcopy(found["spec"])}


def inline(docs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The documents with every reference replaced by the object it names (referenced documents stay)."""
    slis, policies = _index(docs, "SLI"), _index(docs, "AlertPolicy")
    conditions, targets = _index(docs, "AlertCondition"), _index(docs, "AlertNotificationTarget")

    def policy(p: dict[str, Any], where: str) -> dict[str, Any]:
        p = copy.deepcopy(p)
        spec = p.get("spec", {})
        spec["conditions"] = [
            _resolve(conditions, c["conditionRef"], "AlertCondition", where) if "conditionRef" in c else c
            for c in spec.get("conditions", [])
        ]
        spec["notificationTargets"] = [
            _resolve(targets, t["targetRef"], "AlertNotificationTarget", where) if "targetRef" in t else t
            for t in spec.get("notificationTargets", [])
        ]
        return p

    out = []
    for original in docs:
        doc = copy.deepcopy(dict(original))
        name = doc.get("metadata", {}).get("name", "?")
        where = f"{doc.get('kind')} '{name}'"
        if doc.get("kind") == "SLO":
            spec = doc.get("spec", {})
            if "indicatorRef" in spec:
                found = _resolve(slis, spec.pop("indicatorRef"), "SLI", where)
                spec["indicator"] = {"metadata": found["metadata"], "spec": found["spec"]}
            if spec.get("alertPolicies"):
                spec["alertPolicies"] = [
                    policy(_resolve(policies, p["alertPolicyRef"], "AlertPolicy", where), where)
                    if "alertPolicyRef" in p
                    else policy(p, where)
                    for p in spec["alertPolicies"]
                ]
            out.append(doc)
        elif doc.get("kind") == "AlertPolicy":
            out.append(policy(doc, where))
        else:
            out.append(doc)
    return out


def parse_openslo(docs: Sequence[Mapping[str, Any]], *, where: str = "spec") -> list[BaseModel]:
    """Validate v1 documents (after inlining); unknown kinds and bad fields are refused with the path."""
    parsed = []
    for index, doc in enumerate(inline(docs)):
        kind = doc.get("kind")
        model = KINDS.get(str(kind))
        at = f"{where}: document {index} ({kind} '{doc.get('metadata', {}).get('name', '?')}')"
        if doc.get("apiVersion") != "openslo/v1":
            raise SLOSpecError(f"{at}: apiVersion must be openslo/v1, got '{doc.get('apiVersion')}'", code="SLO104")
        if model is None:
            raise SLOSpecError(f"{at}: unknown kind '{kind}'", code="SLO106", hint=f"kinds: {', '.join(KINDS)}")
        try:
            parsed.append(model.model_validate(doc))
        except ValidationError as exc:
            raise validation_error(exc, at) from None
    return parsed


def _is_pavedroad(holder: MetricHolder | None) -> bool:
    return holder is not None and (holder.metricSource.type or "").lower() == "pavedroad"


def _query(holder: MetricHolder | None) -> str | None:
    return None if holder is None else holder.metricSource.spec.get("query")


def _windows(slo: SLODoc, where: str) -> tuple[str | tuple[WindowRule, ...], str | None]:
    rules, name = [], None
    for policy in slo.spec.alertPolicies or []:
        name = name or policy.metadata.name  # type: ignore[union-attr]
        for condition in policy.spec.conditions:  # type: ignore[union-attr]
            spec = condition.spec.condition  # type: ignore[union-attr]
            long_s = openslo_duration(spec.lookbackWindow)
            short_s = openslo_duration(spec.shortWindow) if spec.shortWindow else long_s / 12
            severity: Literal["page", "ticket"] = (
                "page" if condition.spec.severity.lower() in {"page", "critical"} else "ticket"  # type: ignore[union-attr]
            )
            rules.append(WindowRule(severity, long_s, short_s, burn_rate=spec.threshold))
    preset = slo.metadata.annotations.get(_ANN + "windows", "workbook")
    if rules and _ANN + "windows" in slo.metadata.annotations:
        raise SLOSpecError(f"{where}: give burn-rate alert policies or a windows preset, not both")
    return (tuple(rules) if rules else preset), name


def _measure(objective: Objective, indicator: SLIInline, at: str) -> tuple[RecorderSLI | None, PromSLI | None]:
    """The recorder SLI or the PromQL an indicator stands for (or an error naming the source type)."""
    ratio, threshold = indicator.spec.ratioMetric, indicator.spec.thresholdMetric
    if threshold is not None and _is_pavedroad(threshold):
        if objective.op not in ("lt", "lte") or objective.value is None:
            raise SLOSpecError(f"{at}: a pavedroad latency SLI needs op: lte (or lt) and value: <seconds>")
        return RecorderSLI(kind="latency", threshold_s=objective.value, **threshold.metricSource.spec), None
    if ratio is not None and _is_pavedroad(ratio.total):
        assert ratio.total is not None
        return RecorderSLI(kind="availability", **ratio.total.metricSource.spec), None
    if ratio is not None and ratio.raw is not None and _query(ratio.raw):
        raw = str(_query(ratio.raw))
        query = raw if ratio.rawType == "failure" else f"1 - ({raw})"
        return None, PromSLI(shape="raw", error_ratio_query=query)
    if ratio is not None and _query(ratio.total) and (_query(ratio.good) or _query(ratio.bad)):
        if ratio.good is not None:
            return None, PromSLI(shape="good_total", good_query=_query(ratio.good), total_query=_query(ratio.total))
        return None, PromSLI(shape="events", error_query=_query(ratio.bad), total_query=_query(ratio.total))
    source = threshold or (ratio.total if ratio else None)
    kind = source.metricSource.type if source else None
    raise SLOSpecError(
        f"{at}: metric source type '{kind}' cannot be evaluated by pavedroad",
        code="SLO107",
        hint="use type: pavedroad (recorder SLIs) or Prometheus queries",
    )


def to_slos(docs: Sequence[BaseModel], *, where: str = "spec") -> list[SLO]:
    """One ``SLO`` per objective of each (inlined, validated) OpenSLO v1 SLO document."""
    out = []
    for doc in docs:
        if not isinstance(doc, SLODoc):
            continue
        ann = doc.metadata.annotations
        windows, alert_name = _windows(doc, f"{where}: SLO '{doc.metadata.name}'")
        period = openslo_duration(doc.spec.timeWindow[0].duration) if doc.spec.timeWindow else 30 * DAY
        for index, objective in enumerate(doc.spec.objectives):
            at = f"{where}: SLO '{doc.metadata.name}' objectives[{index}]"
            indicator = objective.indicator or doc.spec.indicator
            if indicator is None:
                raise SLOSpecError(f"{at}: the indicator is a reference that was not inlined")
            try:
                sli, prom = _measure(objective, indicator, at)
                name = doc.metadata.name if len(doc.spec.objectives) == 1 else f"{doc.metadata.name}-{index}"
                out.append(
                    SLO(
                        name=name,
                        service=doc.spec.service,
                        description=doc.spec.description or "",
                        objective_percent=objective.percent,
                        period_s=period,
                        budgeting=doc.spec.budgetingMethod,
                        timeslice_target=objective.timeSliceTarget,
                        timeslice_s=openslo_duration(str(objective.timeSliceWindow))
                        if objective.timeSliceWindow
                        else None,
                        sli=sli,
                        prom=prom,
                        per_tenant=ann.get(_ANN + "per-tenant", "").lower() in _TRUE,
                        alerting=Alerting(
                            name=alert_name,
                            windows=windows,
                            min_events=int(ann.get(_ANN + "min-events", "100")),
                            page=AlertTier(disable=prom is not None and alert_name is None),
                            ticket=AlertTier(disable=prom is not None and alert_name is None),
                        ),
                        spec_format="openslo/v1",
                    )
                )
            except ValidationError as exc:
                raise validation_error(exc, at) from None
            except (TypeError, ValueError) as exc:
                raise SLOSpecError(f"{at}: {exc}") from None
    return out


def v1alpha_to_slos(doc: Mapping[str, Any], *, where: str = "spec") -> list[SLO]:
    """Sloth's OpenSLO ``v1alpha`` input (ratioMetrics good/total): one SLO per objective, no alerts."""
    try:
        meta, spec = doc["metadata"], doc["spec"]
        window = spec.get("timeWindows", [{"count": 30, "unit": "Day"}])[0]
        unit = {"Day": DAY, "Week": 7 * DAY, "Month": 30 * DAY}[window["unit"]]
        out = []
        for index, objective in enumerate(spec["objectives"]):
            ratio = objective["ratioMetrics"]
            out.append(
                SLO(
                    name=f"{meta['name']}-{index}",
                    service=spec["service"],
                    description=spec.get("description", ""),
                    objective_percent=float(objective["target"]) * 100,
                    period_s=window["count"] * unit,
                    prom=PromSLI(
                        shape="good_total", good_query=ratio["good"]["query"], total_query=ratio["total"]["query"]
                    ),
                    alerting=Alerting(page=AlertTier(disable=True), ticket=AlertTier(disable=True)),
                    spec_format="openslo/v1alpha",
                )
            )
    except ValidationError as exc:
        raise validation_error(exc, where) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise SLOSpecError(f"{where}: OpenSLO v1alpha SLO is missing or has a bad {exc}") from None
    return out
