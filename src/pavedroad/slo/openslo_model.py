"""OpenSLO v1 objects as pydantic models (SLO, SLI, AlertPolicy, AlertCondition, targets, sources).

Guarantee: a document the OpenSLO v1 spec accepts parses; a document with a wrong kind, a missing
required field, an objective target outside (0, 1) or an SLI that is neither a ratio nor a threshold
metric is refused with the field path. Fields the spec leaves open (metric source ``spec``) stay dicts.
"""

# ruff: noqa: N815  # field names are the OpenSLO spec's own camelCase keys

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AlertConditionDoc",
    "AlertPolicyDoc",
    "DataSourceDoc",
    "Metadata",
    "NotificationTargetDoc",
    "Objective",
    "SLIDoc",
    "SLIInline",
    "SLODoc",
    "ServiceDoc",
    "openslo_duration",
]

_OPENSLO_UNITS = {
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 7 * 86400.0,
    "M": 30 * 86400.0,
    "Q": 91 * 86400.0,
    "Y": 365 * 86400.0,
    "s": 1.0,
}
_DURATION = re.compile(r"^(\d+)([smhdwMQY])$")


def openslo_duration(text: str) -> float:
    """Seconds in an OpenSLO duration (``1m`` minute, ``1M`` month = 30 d, ``1Q``, ``1Y``, ``2w``)."""
    match = _DURATION.match(str(text).strip())
    if match is None:
        raise ValueError(f"'{text}' is not an OpenSLO duration (e.g. 5m, 1h, 28d, 2w, 1M)")
    return int(match.group(1)) * _OPENSLO_UNITS[match.group(2)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Metadata(_M):
    name: str = Field(min_length=1, max_length=253)
    displayName: str | None = None
    labels: dict[str, str | list[str]] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class MetricSource(_M):
    metricSourceRef: str | None = None
    type: str | None = None
    spec: dict[str, Any] = Field(default_factory=dict)


class MetricHolder(_M):
    metricSource: MetricSource


class RatioMetric(_M):
    counter: bool | None = None
    good: MetricHolder | None = None
    bad: MetricHolder | None = None
    total: MetricHolder | None = None
    raw: MetricHolder | None = None
    rawType: Literal["success", "failure"] | None = None

    @model_validator(mode="after")
    def _shape(self) -> RatioMetric:
        if self.raw is not None:
            if self.rawType is None:
                raise ValueError("a raw ratioMetric needs rawType: success or failure")
        elif self.total is None or (self.good is None) == (self.bad is None):
            raise ValueError("a ratioMetric needs total and exactly one of good or bad (or raw with rawType)")
        return self


class SLISpec(_M):
    description: str | None = None
    ratioMetric: RatioMetric | None = None
    thresholdMetric: MetricHolder | None = None

    @model_validator(mode="after")
    def _one(self) -> SLISpec:
        if (self.ratioMetric is None) == (self.thresholdMetric is None):
            raise ValueError("an SLI has exactly one of ratioMetric or thresholdMetric")
        return self


class SLIInline(_M):
    metadata: Metadata
    spec: SLISpec


class SLIDoc(SLIInline):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLI"]


class Calendar(_M):
    startTime: str
    timeZone: str

    @field_validator("startTime", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime | dt.date) else value


class TimeWindow(_M):
    duration: str
    isRolling: bool = True
    calendar: Calendar | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str) -> str:
        openslo_duration(value)
        return value


class Objective(_M):
    displayName: str | None = None
    op: Literal["lt", "lte", "gt", "gte"] | None = None
    value: float | None = None
    target: float | None = Field(default=None, gt=0, lt=1)
    targetPercent: float | None = Field(default=None, gt=0, lt=100)
    timeSliceTarget: float | None = Field(default=None, gt=0, le=1)
    timeSliceWindow: str | int | None = None
    indicator: SLIInline | None = None
    indicatorRef: str | None = None
    compositeWeight: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _target(self) -> Objective:
        if (self.target is None) == (self.targetPercent is None):
            raise ValueError("an objective needs exactly one of target (0-1) or targetPercent (0-100)")
        return self

    @property
    def percent(self) -> float:
        return self.targetPercent if self.targetPercent is not None else (self.target or 0) * 100


class ConditionSpec(_M):
    kind: Literal["burnrate"]
    op: Literal["lt", "lte", "gt", "gte"]
    threshold: float = Field(gt=0)
    lookbackWindow: str
    alertAfter: str | None = None
    shortWindow: str | None = None  # pavedroad's multi-window extension (default: lookbackWindow / 12)


class AlertConditionSpec(_M):
    description: str | None = None
    severity: str
    condition: ConditionSpec


class InlineCondition(_M):
    kind: Literal["AlertCondition"]
    metadata: Metadata
    spec: AlertConditionSpec


class AlertConditionDoc(InlineCondition):
    apiVersion: Literal["openslo/v1"]


class ConditionRef(_M):
    conditionRef: str


class TargetSpec(_M):
    description: str | None = None
    target: str


class InlineTarget(_M):
    kind: Literal["AlertNotificationTarget"]
    metadata: Metadata
    spec: TargetSpec


class NotificationTargetDoc(InlineTarget):
    apiVersion: Literal["openslo/v1"]


class TargetRef(_M):
    targetRef: str


class AlertPolicySpec(_M):
    description: str | None = None
    alertWhenNoData: bool = False
    alertWhenResolved: bool = False
    alertWhenBreaching: bool = True
    conditions: list[InlineCondition | ConditionRef] = Field(min_length=1)
    notificationTargets: list[InlineTarget | TargetRef] = Field(default_factory=list)


class InlinePolicy(_M):
    kind: Literal["AlertPolicy"]
    metadata: Metadata
    spec: AlertPolicySpec


class AlertPolicyDoc(InlinePolicy):
    apiVersion: Literal["openslo/v1"]


class PolicyRef(_M):
    alertPolicyRef: str


class SLOSpecDoc(_M):
    description: str | None = None
    service: str
    indicator: SLIInline | None = None
    indicatorRef: str | None = None
    timeWindow: list[TimeWindow] = Field(default_factory=list, max_length=1)
    budgetingMethod: Literal["Occurrences", "Timeslices", "RatioTimeslices"] = "Occurrences"
    objectives: list[Objective] = Field(min_length=1)
    alertPolicies: list[InlinePolicy | PolicyRef] | None = None

    @model_validator(mode="after")
    def _indicator(self) -> SLOSpecDoc:
        per_objective = all(o.indicator or o.indicatorRef for o in self.objectives)
        if self.indicator is None and self.indicatorRef is None and not per_objective:
            raise ValueError("an SLO needs indicator or indicatorRef")
        if self.indicator is not None and self.indicatorRef is not None:
            raise ValueError("give indicator or indicatorRef, not both")
        if self.budgetingMethod != "Occurrences":
            for index, objective in enumerate(self.objectives):
                if objective.timeSliceWindow is None:
                    raise ValueError(f"objectives[{index}]: {self.budgetingMethod} budgeting needs timeSliceWindow")
        return self


class SLODoc(_M):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLO"]
    metadata: Metadata
    spec: SLOSpecDoc


class ServiceDoc(_M):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["Service"]
    metadata: Metadata
    spec: dict[str, Any] = Field(default_factory=dict)


class DataSourceDoc(_M):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["DataSource"]
    metadata: Metadata
    spec: dict[str, Any]
