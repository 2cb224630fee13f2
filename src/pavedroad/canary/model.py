# ruff: noqa: RUF003 - the statistics read in their usual notation (ρ, γ, ×, −)
"""The canary's vocabulary: cohort counts per time slice, the policy, test results and decisions.

Plain frozen values, so analysis and decisions are pure functions of them and every decision can be
stored, logged and replayed as is (``to_dict``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from pavedroad.canary.latency import DEFAULT_RELATIVE_ACCURACY
from pavedroad.canary.sequential import DEFAULT_HARM_RATIOS
from pavedroad.errors import InvalidInput

__all__ = [
    "Action",
    "CohortCounts",
    "Decision",
    "MetricResult",
    "Policy",
    "SlicePair",
    "merge_counts",
]


class Action(StrEnum):
    """What the controller does to the rollout."""

    PROMOTE = "promote"  # move the ramp to the next step
    HOLD = "hold"  # keep the ramp where it is and keep measuring
    PAUSE = "pause"  # stop and ask a human; the ramp stays put
    ROLLBACK = "rollback"  # move the ramp back to the last safe step


@dataclass(frozen=True)
class CohortCounts:
    """What one cohort served in one slice: requests, errors and a latency sketch ``{bucket: count}``."""

    requests: int = 0
    errors: int = 0
    latency: Mapping[int, int] = field(default_factory=dict)


def merge_counts(a: CohortCounts, b: CohortCounts) -> CohortCounts:
    """Counts add; sketches merge bucket by bucket (exactly)."""
    latency = dict(a.latency)
    for k, c in b.latency.items():
        latency[k] = latency.get(k, 0) + c
    return CohortCounts(a.requests + b.requests, a.errors + b.errors, latency)


@dataclass(frozen=True)
class SlicePair:
    """Baseline and canary measured over the same time slice ``[start, start + seconds)``.

    ``tenants`` optionally splits the *canary* (and baseline) counts by tenant for the per-tenant gate:
    ``{tenant: (baseline, canary)}``.
    """

    start: float
    seconds: float
    baseline: CohortCounts
    canary: CohortCounts
    tenants: Mapping[str, tuple[CohortCounts, CohortCounts]] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """Thresholds of one guarded rollout; the defaults are the ones the simulator judges.

    ``alpha`` is the family-wise false-alarm budget of the whole rollout (all metrics, all looks);
    it is split equally (Bonferroni) over the relative tests. ``error_tolerance`` and
    ``latency_tolerance`` are the ratios the canary may reach before it counts as harm (1.0 = any).
    """

    alpha: float = 0.01
    quantiles: tuple[float, ...] = (0.5, 0.95, 0.99)
    harm_ratios: tuple[float, ...] = DEFAULT_HARM_RATIOS
    error_tolerance: float = 1.0
    latency_tolerance: float = 1.0
    min_requests: int = 500  # per cohort at the current step before any promote / relative verdict
    min_checks: int = 3  # checks at a step before it may be promoted
    max_checks: int = 120  # checks at a step without a verdict before pausing for a human
    slo_objective: float = 0.995  # availability target the canary's own burn rate is measured against
    burn_rate_limit: float = 14.4  # canary burn rate that rolls back whatever the baseline does
    guard_alpha: float = 0.001  # false-alarm budget of the absolute guards
    guard_min_requests: int = 50  # canary requests before its own burn-rate guard can fire
    tenant_min_requests: int = 200  # a tenant's canary requests before its gate can fire
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY

    def __post_init__(self) -> None:
        checks = (
            (0.0 < self.alpha < 0.5, "alpha must be in (0, 0.5)"),
            (0.0 < self.guard_alpha < 0.5, "guard_alpha must be in (0, 0.5)"),
            (all(0.0 < q < 1.0 for q in self.quantiles), "quantiles must be in (0, 1)"),
            (all(1.0 < r < 1000.0 for r in self.harm_ratios) and self.harm_ratios, "harm_ratios must be in (1, 1000)"),
            (self.error_tolerance >= 1.0 and self.latency_tolerance >= 1.0, "tolerances must be ≥ 1"),
            (0.0 < self.slo_objective < 1.0, "slo_objective must be in (0, 1)"),
            (0.0 < self.burn_rate_limit < 1e6, "burn_rate_limit must be in (0, 1e6)"),
            (self.error_tolerance < 1e3 and self.latency_tolerance < 1e3, "tolerances must be < 1000"),
            (1 <= self.min_checks <= self.max_checks, "need 1 ≤ min_checks ≤ max_checks"),
            (self.min_requests >= 1, "min_requests must be ≥ 1"),
            (1e-4 <= self.relative_accuracy <= 0.5, "relative_accuracy must be in [0.0001, 0.5]"),
        )
        for ok, message in checks:
            if not ok:
                raise InvalidInput(f"invalid canary policy: {message}", code="C400", hint="see docs/canary.md")

    @property
    def tests(self) -> int:
        """Number of relative tests sharing ``alpha``: the error rate and one per latency quantile."""
        return 1 + len(self.quantiles)

    @property
    def per_test_alpha(self) -> float:
        return self.alpha / self.tests

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Build from JSON-ish data (lists become tuples); unknown keys are an error naming them."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(
                f"unknown canary policy field(s): {', '.join(unknown)}", code="C400", hint=f"known: {sorted(known)}"
            )
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        try:
            return cls(**values)  # type: ignore[arg-type]  # values are validated by __post_init__
        except (TypeError, ValueError) as exc:  # a string where a number belongs, null, …
            raise InvalidInput(
                f"invalid canary policy: {exc}", code="C400", hint="numbers for thresholds, lists of numbers for grids"
            ) from None


def _clean(value: float | None) -> float | None:
    """JSON has no NaN/inf: report them as null."""
    if value is None or not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class MetricResult:
    """One test's verdict with everything needed to check it by hand."""

    metric: str  # "error_rate", "latency_p99", "slo_burn", "tenant_burn:<id>"
    test: str  # the method, e.g. "msprt-poisson-ratio"
    alarm: bool  # canary worse, with evidence above the threshold
    baseline_requests: int
    canary_requests: int
    baseline_estimate: float | None
    canary_estimate: float | None
    ratio: float | None
    lower: float | None
    upper: float | None
    log_e_value: float
    threshold_log_e: float
    alpha: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("baseline_estimate", "canary_estimate", "ratio", "lower", "upper", "log_e_value"):
            out[key] = _clean(out[key])
        return out


@dataclass(frozen=True)
class Decision:
    """A controller decision: the action, the ramp move it implies, and why (with the numbers)."""

    rollout: str
    action: Action
    reason: str
    at: float
    step_from: int
    step_to: int
    results: tuple[MetricResult, ...] = ()
    dry_run: bool = False
    checks_at_step: int = 0
    rule: str = ""  # the decision-table rule that matched (also the reason's ``[rule]`` prefix)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rollout": self.rollout,
            "action": self.action.value,
            "rule": self.rule,
            "reason": self.reason,
            "at": self.at,
            "step_from": self.step_from,
            "step_to": self.step_to,
            "dry_run": self.dry_run,
            "checks_at_step": self.checks_at_step,
            "results": [r.to_dict() for r in self.results],
        }
