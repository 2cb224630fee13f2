"""Sloth's ``prometheus/v1`` spec in, validated into ``SLO`` objects (one per ``slos[]`` entry).

Guarantees: a document Sloth accepts is accepted with the same meaning (objective in percent, events or
raw SLIs, page/ticket alert labels and annotations); a wrong ``version`` or a missing field is refused
with the location. pavedroad SLIs use Sloth's plugin slot, so the file stays a valid Sloth spec::

    sli:
      plugin:
        id: pavedroad/latency            # or pavedroad/availability
        options: {route: /v1/jobs, method: GET, threshold: 300ms, per_tenant: "true",
                  min_events: "50", windows: workbook}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pavedroad.slo.spec import SLO, Alerting, AlertTier, PromSLI, RecorderSLI, SLOSpecError, validation_error
from pavedroad.slo.windows import DAY, parse_duration

__all__ = ["SLOTH_VERSION", "from_sloth"]

SLOTH_VERSION = "prometheus/v1"
SLIKind = Literal["availability", "latency"]
_PLUGINS: dict[str, SLIKind] = {"pavedroad/availability": "availability", "pavedroad/latency": "latency"}
_TRUE = {"true", "yes", "1", "on"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Events(_Strict):
    error_query: str
    total_query: str


class _Raw(_Strict):
    error_ratio_query: str


class _Plugin(_Strict):
    id: str
    options: dict[str, Any] = Field(default_factory=dict)


class _SLI(_Strict):
    events: _Events | None = None
    raw: _Raw | None = None
    plugin: _Plugin | None = None


class _Tier(_Strict):
    disable: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class _Alerting(_Strict):
    name: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    page_alert: _Tier = Field(default_factory=_Tier)
    ticket_alert: _Tier = Field(default_factory=_Tier)


class _SLO(_Strict):
    name: str
    objective: float
    description: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    sli: _SLI
    alerting: _Alerting = Field(default_factory=_Alerting)


class _Spec(_Strict):
    version: Literal["prometheus/v1"]
    service: str
    labels: dict[str, str] = Field(default_factory=dict)
    slos: list[_SLO] = Field(min_length=1)


def _recorder_sli(plugin: _Plugin, where: str) -> tuple[RecorderSLI, dict[str, Any]]:
    if plugin.id not in _PLUGINS:
        raise SLOSpecError(
            f"{where}: unknown SLI plugin '{plugin.id}'",
            hint=f"pavedroad evaluates {', '.join(sorted(_PLUGINS))}; others only exist in Sloth",
        )
    opts = dict(plugin.options)
    threshold = opts.pop("threshold", None)
    sli_fields = {k: opts.pop(k) for k in ("route", "route_prefix", "method", "source") if k in opts}
    try:
        sli = RecorderSLI(
            kind=_PLUGINS[plugin.id],
            threshold_s=parse_duration(threshold) if threshold is not None else None,
            **sli_fields,
        )
    except ValidationError as exc:
        raise validation_error(exc, f"{where}.sli.plugin.options") from None
    return sli, opts


def from_sloth(document: Mapping[str, Any], *, period_s: float = 30 * DAY, where: str = "spec") -> list[SLO]:
    """The SLOs of one Sloth ``prometheus/v1`` document."""
    version = document.get("version")
    if version != SLOTH_VERSION:
        raise SLOSpecError(
            f"{where}: unsupported Sloth spec version '{version}'",
            code="SLO104",
            hint=f'Sloth specs declare version: "{SLOTH_VERSION}"',
        )
    try:
        spec = _Spec.model_validate(document)
    except ValidationError as exc:
        raise validation_error(exc, where) from None
    out = []
    for index, item in enumerate(spec.slos):
        at = f"{where}: slos[{index}]"
        sli: RecorderSLI | None = None
        prom: PromSLI | None = None
        options: dict[str, Any] = {}
        chosen = [name for name in ("events", "raw", "plugin") if getattr(item.sli, name) is not None]
        if len(chosen) != 1:
            raise SLOSpecError(f"{at}.sli: give exactly one of events, raw or plugin (got {chosen or 'none'})")
        if item.sli.events is not None:
            prom = PromSLI(
                shape="events", error_query=item.sli.events.error_query, total_query=item.sli.events.total_query
            )
        elif item.sli.raw is not None:
            prom = PromSLI(shape="raw", error_ratio_query=item.sli.raw.error_ratio_query)
        else:
            assert item.sli.plugin is not None
            sli, options = _recorder_sli(item.sli.plugin, at)
        a = item.alerting
        try:
            alerting = Alerting(
                name=a.name,
                labels=a.labels,
                annotations=a.annotations,
                page=AlertTier(**a.page_alert.model_dump()),
                ticket=AlertTier(**a.ticket_alert.model_dump()),
                windows=str(options.pop("windows", "sloth")),
                min_events=int(options.pop("min_events", 100)),
            )
            slo = SLO(
                name=item.name,
                service=spec.service,
                description=item.description,
                objective_percent=item.objective,
                period_s=period_s,
                sli=sli,
                prom=prom,
                labels={**spec.labels, **item.labels},
                alerting=alerting,
                per_tenant=str(options.pop("per_tenant", "false")).lower() in _TRUE,
                spec_format=SLOTH_VERSION,
            )
        except ValidationError as exc:
            raise validation_error(exc, at) from None
        except ValueError as exc:
            raise SLOSpecError(f"{at}: {exc}") from None
        if options:
            raise SLOSpecError(
                f"{at}.sli.plugin.options: unknown option(s) {', '.join(sorted(options))}",
                hint="pavedroad options: route, route_prefix, method, source, threshold, per_tenant, "
                "min_events, windows",
            )
        out.append(slo)
    return out
