"""Reports as pure functions: SLO status, "which API call has the worst p99?", burndown series.

Guarantees: ``rank`` orders routes by the requested statistic (quantiles read from merged sketches,
within 1%; error rate = Σbad/Σtotal), worst first, ties broken by volume then name, and skips routes
with fewer than ``min_events`` requests (a p99 of three requests is noise). ``status`` derives SLI,
remaining budget (Occurrences: events; Timeslices: good slices; RatioTimeslices: mean slice ratio),
burn rates, firing pairs and time to exhaustion from counts only. ``burndown`` gives
the cumulative remaining budget at each bucket of the period, ready for a chart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pavedroad.slo.alerts import evaluate
from pavedroad.slo.budget import (
    Counts,
    burn_rate,
    ratio_timeslices,
    remaining_budget,
    time_to_exhaustion,
    timeslices,
)
from pavedroad.slo.spec import SLO
from pavedroad.slo.store import TopRow
from pavedroad.slo.windows import format_duration, resolve_windows

__all__ = ["RANK_BY", "SLOStatus", "TopEntry", "burndown", "rank", "status", "status_windows"]

RankBy = Literal["p99", "p95", "p50", "p999", "error_rate", "total", "mean"]
RANK_BY: tuple[str, ...] = ("p99", "p95", "p50", "p999", "error_rate", "total", "mean")


@dataclass(frozen=True, slots=True)
class TopEntry:
    """One row of ``slo top``."""

    service: str
    route: str
    method: str
    tenant: str
    total: int
    error_rate: float
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    p999_s: float | None
    mean_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _entry(row: TopRow) -> TopEntry:
    q = row.sketch.quantile
    return TopEntry(
        row.service,
        row.route,
        row.method,
        row.tenant,
        row.total,
        row.bad / row.total if row.total else 0.0,
        q(0.5),
        q(0.95),
        q(0.99),
        q(0.999),
        row.sketch.mean,
    )


def rank(rows: Sequence[TopRow], by: str = "p99", *, limit: int = 20, min_events: int = 1) -> list[TopEntry]:
    """Routes worst first by ``by`` (one of ``RANK_BY``)."""
    if by not in RANK_BY:
        raise ValueError(f"cannot rank by '{by}'; use one of {', '.join(RANK_BY)}")
    field = {"p99": "p99_s", "p95": "p95_s", "p50": "p50_s", "p999": "p999_s", "mean": "mean_s"}.get(by, by)
    entries = [_entry(r) for r in rows if r.total >= max(1, min_events)]
    entries.sort(key=lambda e: (-(getattr(e, field) or 0.0), -e.total, e.route, e.method, e.tenant))
    return entries[:limit]


@dataclass(frozen=True, slots=True)
class SLOStatus:
    """Where one SLO stands now (for the service, or one tenant)."""

    slo_id: str
    tenant: str
    objective: float
    sli: float | None
    events: int
    bad: int
    budget_remaining: float
    burn_rates: dict[str, float | None]
    firing: list[str]
    time_to_exhaustion_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_windows(slo: SLO) -> list[float]:
    """Window lengths ``status`` needs: every alert window and the SLO period."""
    windows = resolve_windows(slo.alerting.windows, slo.period_s)
    return sorted({w.short_s for w in windows} | {w.long_s for w in windows} | {slo.period_s})


def _budget(slo: SLO, period: Counts, slices: Sequence[Counts] | None) -> tuple[float | None, float]:
    """SLI and remaining budget under the SLO's budgeting method."""
    if slo.budgeting == "Occurrences" or slices is None:
        return period.ratio, remaining_budget(period.bad, period.total, slo.objective)
    judged = [c for c in slices if c.total > 0]
    if slo.budgeting == "Timeslices":
        assert slo.timeslice_target is not None
        sli = timeslices(judged, slo.timeslice_target)
        bad_slices = sum(1 for c in judged if c.good / c.total < slo.timeslice_target)
        return sli, remaining_budget(bad_slices, len(judged), slo.objective)
    sli = ratio_timeslices(judged)
    return sli, 1.0 if sli is None else 1.0 - (1.0 - sli) / (1.0 - slo.objective)


def status(
    slo: SLO, counts: Mapping[float, Counts], *, now: float, tenant: str = "", slices: Sequence[Counts] | None = None
) -> SLOStatus:
    """Status from counts per window length (``status_windows``); ``slices`` (per ``timeslice_s``
    over the period) are needed for Timeslices and RatioTimeslices budgeting."""
    period = counts.get(slo.period_s, Counts())
    windows = resolve_windows(slo.alerting.windows, slo.period_s)
    evaluation = evaluate(slo, counts, at=now, tenant=tenant, windows=windows)
    rates = {format_duration(w): burn_rate(c.bad, c.total, slo.objective) for w, c in sorted(counts.items())}
    sli, remaining = _budget(slo, period, slices)
    short = min((w.short_s for w in windows), default=slo.period_s)
    current = counts.get(short, Counts())
    exhaustion = time_to_exhaustion(remaining, burn_rate(current.bad, current.total, slo.objective), slo.period_s)
    return SLOStatus(
        slo.slo_id,
        tenant,
        slo.objective,
        sli,
        period.total,
        period.bad,
        remaining,
        rates,
        sorted({p.window.severity for p in evaluation.pairs if p.firing}),
        None if math.isinf(exhaustion) else exhaustion,
    )


def burndown(slo: SLO, buckets: Sequence[tuple[float, int, int]], *, since: float) -> list[dict[str, float | None]]:
    """Cumulative series over the period: ``{t, remaining, sli, burn_rate}`` per ``(t, bad, total)`` bucket.

    ``remaining`` is a burn-down: the budget is the bad events the objective allows for *all* the
    period's events so far, and each point subtracts the bad events up to it. It never rises (good traffic
    later does not refill what was spent), and its last point is the status's ``budget_remaining``.
    """
    rows = [(t, b, n) for t, b, n in sorted(buckets) if t >= since]
    grand = sum(n for _, _, n in rows)
    bad = total = 0
    out: list[dict[str, float | None]] = []
    for t, b, n in rows:
        bad, total = bad + b, total + n
        out.append(
            {
                "t": t,
                "remaining": remaining_budget(bad, grand, slo.objective),
                "sli": None if total == 0 else (total - bad) / total,
                "burn_rate": burn_rate(b, n, slo.objective),
            }
        )
    return out
