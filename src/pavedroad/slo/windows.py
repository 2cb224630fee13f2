"""Multi-window, multi-burn-rate alert windows as data: presets (Workbook, Sloth, Pyrra) and durations.

A window pair alerts when the error rate over *both* its long and its short window exceeds
``burn_rate * error budget``. The burn rate either is given (Pyrra) or follows from the share of the
budget the pair may consume: ``B = f·T/W`` (Workbook, Sloth). For a 30-day SLO the Workbook table is:

    severity  long  short  budget  burn
    page      1h    5m     2%      14.4
    page      6h    30m    5%      6
    ticket    1d    2h     10%     3
    ticket    3d    6h     10%     1

>>> [round(w.burn_rate, 2) for w in resolve_windows("workbook", 30 * DAY)]
[14.4, 6.0, 3.0, 1.0]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pavedroad.errors import InvalidInput

__all__ = [
    "DAY",
    "PRESETS",
    "Window",
    "WindowRule",
    "format_duration",
    "parse_duration",
    "resolve_windows",
    "sloth_alert_windows",
]

Severity = Literal["page", "ticket"]
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
_UNITS = {"ms": 0.001, "s": 1.0, "m": MINUTE, "h": HOUR, "d": DAY, "w": 7 * DAY, "y": 365 * DAY}
_DURATION = re.compile(r"^((\d+)(ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def parse_duration(text: str | float | int) -> float:
    """Seconds in a Prometheus duration (``5m``, ``1h30m``, ``30d``, ``4w``); numbers pass as seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    value = str(text).strip()
    if not _DURATION.match(value):
        raise InvalidInput(
            f"'{value}' is not a duration",
            code="SLO101",
            hint="write a Prometheus duration such as 5m, 1h, 6h, 1d, 28d or 4w",
        )
    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(value))


def format_duration(seconds: float) -> str:
    """Prometheus' own rendering: years and weeks only when exact (``30d``, ``4w``, ``1d``, ``90m``→``1h30m``)."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    out = []
    for unit, size, exact in (
        ("y", 31_536_000_000, True),
        ("w", 604_800_000, True),
        ("d", 86_400_000, False),
        ("h", 3_600_000, False),
        ("m", 60_000, False),
        ("s", 1000, False),
        ("ms", 1, False),
    ):
        if exact and ms % size:
            continue
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Window:
    """A resolved window pair: alert at ``severity`` when both windows burn faster than ``burn_rate``."""

    severity: Severity
    long_s: float
    short_s: float
    burn_rate: float
    for_s: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.severity}:{format_duration(self.long_s)}/{format_duration(self.short_s)}"


@dataclass(frozen=True, slots=True)
class WindowRule:
    """How a preset defines a pair: by budget share (``B = f·T/W``) or by a fixed burn rate.

    ``scale`` > 0 makes the windows proportional to the SLO period (Pyrra): ``long = T/scale_long``.
    """

    severity: Severity
    long_s: float
    short_s: float
    budget_percent: float | None = None
    burn_rate: float | None = None
    for_s: float = 0.0
    reference_period_s: float | None = None  # windows scale with period / reference (Pyrra: 28d)

    def resolve(self, period_s: float) -> Window:
        factor = period_s / self.reference_period_s if self.reference_period_s else 1.0
        long_s, short_s = self.long_s * factor, self.short_s * factor
        if self.burn_rate is not None:
            burn = self.burn_rate
        else:
            assert self.budget_percent is not None
            # Sloth's own arithmetic order, so its golden constants come out bit for bit.
            burn = (period_s / HOUR) * self.budget_percent / 100 / (long_s / HOUR)
        return Window(self.severity, long_s, short_s, burn, self.for_s * factor)


_WORKBOOK = (
    WindowRule("page", HOUR, 5 * MINUTE, budget_percent=2),
    WindowRule("page", 6 * HOUR, 30 * MINUTE, budget_percent=5),
    WindowRule("ticket", DAY, 2 * HOUR, budget_percent=10),
    WindowRule("ticket", 3 * DAY, 6 * HOUR, budget_percent=10),
)
_P = 28 * DAY
_PYRRA = (
    WindowRule("page", HOUR, 5 * MINUTE, burn_rate=14, for_s=2 * MINUTE, reference_period_s=_P),
    WindowRule("page", 6 * HOUR, 30 * MINUTE, burn_rate=7, for_s=15 * MINUTE, reference_period_s=_P),
    WindowRule("ticket", DAY, 2 * HOUR, burn_rate=2, for_s=HOUR, reference_period_s=_P),
    WindowRule("ticket", 4 * DAY, 6 * HOUR, burn_rate=1, for_s=3 * HOUR, reference_period_s=_P),
)
PRESETS: Mapping[str, tuple[WindowRule, ...]] = {"workbook": _WORKBOOK, "sloth": _WORKBOOK, "pyrra": _PYRRA}


def resolve_windows(windows: str | Sequence[WindowRule], period_s: float) -> list[Window]:
    """Concrete windows for an SLO period, from a preset name or explicit rules."""
    if isinstance(windows, str):
        if windows not in PRESETS:
            raise InvalidInput(
                f"unknown alert window preset '{windows}'",
                code="SLO102",
                hint=f"use one of {', '.join(sorted(PRESETS))} or list windows explicitly",
            )
        windows = PRESETS[windows]
    return [rule.resolve(period_s) for rule in windows]


def sloth_alert_windows(document: Mapping[str, Any]) -> tuple[float, tuple[WindowRule, ...]]:
    """Read a Sloth ``AlertWindows`` document: its SLO period and its four window rules."""
    if document.get("kind") != "AlertWindows":
        raise InvalidInput(
            "not a Sloth AlertWindows document",
            code="SLO103",
            hint="expected apiVersion sloth.slok.dev/v1, kind AlertWindows",
        )
    spec = document["spec"]
    rules = []
    for severity in ("page", "ticket"):
        for speed in ("quick", "slow"):
            item = spec[severity][speed]
            rules.append(
                WindowRule(
                    severity,
                    parse_duration(item["longWindow"]),
                    parse_duration(item["shortWindow"]),
                    budget_percent=float(item["errorBudgetPercent"]),
                )
            )
    return parse_duration(spec["sloPeriod"]), tuple(rules)
