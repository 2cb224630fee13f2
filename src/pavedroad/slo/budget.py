"""Error-budget maths as pure functions over event counts (so every ratio is volume-weighted).

Guarantees: ratios are computed from summed counts (``Σbad / Σtotal``), never by averaging ratios, so a
busy hour weighs more than a quiet one; a window with no events has no ratio (``None``), not zero; the
``min_events`` guard turns a window with too few events into "not enough data" instead of an alert.

    >>> round(burn_rate(bad=36, total=1000, objective=0.999), 6)  # 3.6% errors burn a 0.1% budget 36x
    36.0
    >>> round(threshold_burn_rate(0.02, 30 * 86400, 3600), 6)  # 2% of a 30-day budget in 1 hour
    14.4
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Counts",
    "budget_consumed",
    "burn_rate",
    "detection_time",
    "error_ratio",
    "ratio_timeslices",
    "remaining_budget",
    "threshold_burn_rate",
    "time_to_exhaustion",
    "timeslices",
]


@dataclass(frozen=True, slots=True)
class Counts:
    """Bad and total events in some window."""

    bad: int = 0
    total: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.bad + other.bad, self.total + other.total)

    @property
    def good(self) -> int:
        return self.total - self.bad

    @property
    def ratio(self) -> float | None:
        """Good fraction (the SLI), ``None`` with no events."""
        return None if self.total == 0 else self.good / self.total


def error_ratio(bad: int, total: int) -> float | None:
    """``bad / total``; ``None`` when there were no events."""
    return None if total <= 0 else bad / total


def burn_rate(bad: int, total: int, objective: float) -> float | None:
    """How many times faster than sustainable the budget burns: ``error ratio / (1 - objective)``."""
    ratio = error_ratio(bad, total)
    return None if ratio is None else ratio / (1 - objective)


def threshold_burn_rate(budget_fraction: float, period_s: float, window_s: float) -> float:
    """The burn rate that spends ``budget_fraction`` of the period's budget within ``window_s``: ``f·T/W``."""
    if window_s <= 0 or period_s <= 0:
        raise ValueError("period and window must be positive")
    return budget_fraction * period_s / window_s


def budget_consumed(bad: int, total: int, objective: float) -> float:
    """Share of the error budget spent so far: ``bad / ((1 - objective) · total)`` (0 with no events)."""
    allowed = (1 - objective) * total
    return 0.0 if total <= 0 else bad / allowed


def remaining_budget(bad: int, total: int, objective: float) -> float:
    """``1 - consumed``; negative once the objective is missed."""
    return 1.0 - budget_consumed(bad, total, objective)


def time_to_exhaustion(remaining: float, current_burn_rate: float | None, period_s: float) -> float:
    """Seconds until the budget is gone at the current burn rate (``inf`` if not burning, 0 if gone).

    At burn rate ``b`` the whole budget lasts ``T / b``, so what remains lasts ``remaining · T / b``.
    """
    if remaining <= 0:
        return 0.0
    if not current_burn_rate or current_burn_rate <= 0:
        return math.inf
    return remaining * period_s / current_burn_rate


def detection_time(burn_threshold: float, window_s: float, objective: float, error_rate: float) -> float:
    """Seconds a constant ``error_rate`` takes to trip a ``burn_threshold`` alert over ``window_s``.

    The window's error ratio grows as ``error_rate · t / W``; it crosses ``B · (1 - objective)`` at
    ``t = B · (1 - objective) · W / error_rate`` (the Workbook's "time to detect"). ``inf`` if never.
    """
    if error_rate <= 0 or error_rate < burn_threshold * (1 - objective):
        return math.inf
    return burn_threshold * (1 - objective) * window_s / error_rate


def timeslices(slices: Iterable[Counts], slice_target: float, *, min_events: int = 1) -> float | None:
    """Timeslices SLI: the share of slices whose good ratio meets ``slice_target``.

    Slices with fewer than ``min_events`` events carry no verdict and are left out (OpenSLO leaves
    empty slices to the implementation; counting them good would hide an outage of a quiet service).
    """
    judged = good = 0
    for c in slices:
        if c.total < max(1, min_events):
            continue
        judged += 1
        good += c.good / c.total >= slice_target
    return None if judged == 0 else good / judged


def ratio_timeslices(slices: Iterable[Counts], *, min_events: int = 1) -> float | None:
    """RatioTimeslices SLI: the mean of per-slice good ratios (OpenSLO's definition: each slice weighs 1)."""
    ratios = [c.good / c.total for c in slices if c.total >= max(1, min_events)]
    return None if not ratios else sum(ratios) / len(ratios)
