"""Multi-window, multi-burn-rate alert evaluation and the alert state machine, as pure functions.

Guarantees: a window pair fires only when the error ratio over *both* its long and short windows
exceeds ``burn_rate * budget`` (strictly, as Sloth's ``>``) *and* the long window holds at least
``min_events`` events — below that the pair reports ``low_traffic`` and stays quiet. A severity fires
when any of its pairs fires (for at least the pair's ``for_s``, Pyrra-style). ``transition`` turns
evaluations into ``firing``/``resolved`` events exactly once per change, keyed by SLO, severity, tenant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pavedroad.slo.budget import Counts, burn_rate
from pavedroad.slo.spec import SLO
from pavedroad.slo.windows import Window, resolve_windows

__all__ = [
    "AlertEvent",
    "AlertKey",
    "AlertStatus",
    "Evaluation",
    "PairResult",
    "evaluate",
    "evaluate_pair",
    "transition",
]

AlertKey = tuple[str, str, str]  # slo id, severity, tenant ("" = the whole service)


@dataclass(frozen=True, slots=True)
class PairResult:
    """One window pair's verdict."""

    window: Window
    short: Counts
    long: Counts
    short_burn: float | None
    long_burn: float | None
    firing: bool
    reason: Literal["burning", "ok", "low_traffic", "no_data"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All pairs of one SLO (for one tenant, or the service) at one instant."""

    slo_id: str
    tenant: str
    at: float
    pairs: tuple[PairResult, ...]

    def firing(self, severity: str) -> list[PairResult]:
        return [p for p in self.pairs if p.firing and p.window.severity == severity]


@dataclass(frozen=True, slots=True)
class AlertStatus:
    """Where one alert stands: breaching since ``pending_since``, firing since ``firing_since``."""

    pending_since: float
    firing_since: float | None = None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert started or stopped firing."""

    slo_id: str
    severity: str
    tenant: str
    status: Literal["firing", "resolved"]
    at: float
    burn_rates: dict[str, float | None] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        who = f" for tenant {self.tenant}" if self.tenant else ""
        rates = ", ".join(f"{k} {v:.1f}x" for k, v in self.burn_rates.items() if v is not None)
        return f"{self.severity} {self.status}: SLO {self.slo_id}{who} error budget burn {rates or 'n/a'}"


def evaluate_pair(window: Window, objective: float, short: Counts, long: Counts, min_events: int) -> PairResult:
    """Decide one window pair from the events in its short and long windows."""
    short_burn = burn_rate(short.bad, short.total, objective)
    long_burn = burn_rate(long.bad, long.total, objective)
    if long.total == 0 or short_burn is None or long_burn is None:
        return PairResult(window, short, long, short_burn, long_burn, False, "no_data")
    if long.total < min_events:
        return PairResult(window, short, long, short_burn, long_burn, False, "low_traffic")
    firing = short_burn > window.burn_rate and long_burn > window.burn_rate
    return PairResult(window, short, long, short_burn, long_burn, firing, "burning" if firing else "ok")


def evaluate(
    slo: SLO, counts: Mapping[float, Counts], *, at: float, tenant: str = "", windows: Sequence[Window] | None = None
) -> Evaluation:
    """Evaluate every pair of ``slo`` given event counts per window length (seconds)."""
    pairs = windows if windows is not None else resolve_windows(slo.alerting.windows, slo.period_s)
    results = tuple(
        evaluate_pair(
            w, slo.objective, counts.get(w.short_s, Counts()), counts.get(w.long_s, Counts()), slo.alerting.min_events
        )
        for w in pairs
    )
    return Evaluation(slo.slo_id, tenant, at, results)


def transition(
    state: Mapping[AlertKey, AlertStatus], evaluation: Evaluation
) -> tuple[dict[AlertKey, AlertStatus], list[AlertEvent]]:
    """The next state and the events for one evaluation (other SLOs' and tenants' keys pass through)."""
    now = evaluation.at
    new = dict(state)
    events = []
    for severity in ("page", "ticket"):
        key = (evaluation.slo_id, severity, evaluation.tenant)
        burning = evaluation.firing(severity)
        previous = state.get(key)
        rates = {p.window.name: p.long_burn for p in evaluation.pairs if p.window.severity == severity}
        if burning:
            since = previous.pending_since if previous else now
            wait = min(p.window.for_s for p in burning)
            firing_since = previous.firing_since if previous else None
            if firing_since is None and now - since >= wait:
                firing_since = now
                events.append(AlertEvent(evaluation.slo_id, severity, evaluation.tenant, "firing", now, rates))
            new[key] = AlertStatus(since, firing_since)
        elif previous is not None:
            del new[key]
            if previous.firing_since is not None:
                events.append(AlertEvent(evaluation.slo_id, severity, evaluation.tenant, "resolved", now, rates))
    return new, events
