"""The one SLO model every input format (Sloth, OpenSLO, pavedroad) is validated into.

Guarantees: an ``SLO`` has a name, a service, an objective strictly between 0 and 100 percent, a
period, a budgeting method, and at least one way to measure it — a recorder SLI (``sli``: computed
in-process from the stored slices, availability or latency, per route or route prefix, optionally per
tenant) and/or
PromQL queries (``prom``: only usable for generated Prometheus rules). The objective is kept as the
percentage the author wrote, because Sloth derives its constants from it (``99.9/100``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pavedroad.errors import InvalidInput
from pavedroad.slo.windows import DAY, WindowRule, resolve_windows

__all__ = ["SLO", "AlertTier", "Alerting", "PromSLI", "RecorderSLI", "SLOSpecError", "validation_error"]


class SLOSpecError(InvalidInput):
    """An SLO spec is malformed; the message names the file location and what was expected."""

    default_code = "SLO100"


def validation_error(exc: ValidationError, where: str) -> SLOSpecError:
    """A pydantic error as an ``SLOSpecError`` naming the field path."""
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first.get("loc", ()))
    return SLOSpecError(
        f"{where}: {path or 'document'}: {first.get('msg', 'invalid')}",
        hint="see docs/slo.md for the accepted fields",
        errors=[
            {"path": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ],
    )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecorderSLI(_Model):
    """An SLI over the recorder's slices: 5xx-free requests (availability) or requests under a latency."""

    kind: Literal["availability", "latency"]
    source: Literal["http", "dependency"] = "http"
    route: str | None = Field(default=None, description="Route template (or dependency name); None = all.")
    route_prefix: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Only route templates starting with this, e.g. '/v1/' for the API (the dashboard, static "
                    "files, docs, probes and unmatched requests are not API calls); None = any.",
    )  # fmt: skip
    method: str | None = None
    threshold_s: float | None = Field(default=None, gt=0, description="Latency threshold in seconds.")

    @model_validator(mode="after")
    def _threshold(self) -> RecorderSLI:
        if self.kind == "latency" and self.threshold_s is None:
            raise ValueError("a latency SLI needs a threshold (e.g. threshold: 300ms)")
        if self.kind == "availability" and self.threshold_s is not None:
            raise ValueError("an availability SLI takes no threshold; use kind: latency")
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())
        return self


class PromSLI(_Model):
    """PromQL with ``{{.window}}`` placeholders, in one of the shapes Sloth and OpenSLO use."""

    shape: Literal["events", "raw", "good_total"]
    error_query: str | None = None
    good_query: str | None = None
    total_query: str | None = None
    error_ratio_query: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> PromSLI:
        need = {
            "events": ("error_query", "total_query"),
            "raw": ("error_ratio_query",),
            "good_total": ("good_query", "total_query"),
        }[self.shape]
        missing = [name for name in need if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.shape} SLI needs {', '.join(missing)}")
        return self


class AlertTier(_Model):
    """Labels/annotations of the page or ticket alert, or ``disable``."""

    disable: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class Alerting(_Model):
    """How an SLO alerts: names, labels, the window pairs and the low-traffic guard."""

    name: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    page: AlertTier = Field(default_factory=AlertTier)
    ticket: AlertTier = Field(default_factory=AlertTier)
    windows: str | tuple[WindowRule, ...] = "workbook"
    min_events: int = Field(default=100, ge=0, description="Stay quiet while the long window has fewer events.")

    @property
    def enabled(self) -> bool:
        return not (self.page.disable and self.ticket.disable)


class SLO(_Model):
    """One validated service level objective."""

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    service: str = Field(min_length=1, max_length=128)
    description: str = ""
    objective_percent: float = Field(gt=0, lt=100)
    period_s: float = Field(default=30 * DAY, gt=0)
    budgeting: Literal["Occurrences", "Timeslices", "RatioTimeslices"] = "Occurrences"
    timeslice_target: float | None = Field(default=None, gt=0, le=1)
    timeslice_s: float | None = Field(default=None, gt=0)
    sli: RecorderSLI | None = None
    prom: PromSLI | None = None
    per_tenant: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    alerting: Alerting = Field(default_factory=Alerting)
    spec_format: str = "pavedroad/v1"
    extra: dict[str, Any] = Field(default_factory=dict, description="Format-specific details kept for output.")

    @field_validator("labels", mode="before")
    @classmethod
    def _stringify(cls, value: object) -> object:
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _consistent(self) -> SLO:
        if self.sli is None and self.prom is None:
            raise ValueError("an SLO needs an SLI: a pavedroad SLI (availability/latency) or PromQL queries")
        if self.budgeting == "Timeslices" and self.timeslice_target is None:
            raise ValueError("Timeslices budgeting needs timeSliceTarget")
        if self.budgeting in ("Timeslices", "RatioTimeslices") and self.timeslice_s is None:
            raise ValueError(f"{self.budgeting} budgeting needs timeSliceWindow")
        if self.per_tenant and self.sli is None:
            raise ValueError("per-tenant SLOs are computed from stored slices: give a pavedroad SLI")
        if self.alerting.enabled and self.sli is None and not self.alerting.name:
            raise ValueError("alerting.name is required when page or ticket alerts are enabled")
        try:
            resolve_windows(self.alerting.windows, self.period_s)  # an unknown preset fails here, at load
        except InvalidInput as exc:
            raise ValueError(f"{exc.message} ({exc.hint})") from None
        return self

    @property
    def objective(self) -> float:
        """The objective as a ratio (``0.999``)."""
        return self.objective_percent / 100

    @property
    def error_budget(self) -> float:
        """Allowed bad fraction, ``(100 - objective%) / 100`` (Sloth's arithmetic)."""
        return (100 - self.objective_percent) / 100

    @property
    def slo_id(self) -> str:
        return f"{self.service}-{self.name}"

    @property
    def alert_name(self) -> str:
        return self.alerting.name or "".join(p.capitalize() for p in self.slo_id.replace("_", "-").split("-"))
