"""Monotone ramps: a percentage that only adds subjects as it rises, with variants on anchored ranges.

The bucket space is the 32-bit hash range. Each treatment variant owns an anchored slice that starts at
a fixed point (the cumulative share of the variants before it) and grows with the ramp percentage:

    variant i owns [anchor_i, anchor_i + share_i x percent)   anchor_i = Σ_{j<i} share_j x 2³²

Raising the percentage lengthens every slice from its anchor, so a subject once in variant *i* stays in
*i*; lowering it shortens the slices from their far ends, so the most recently added subjects leave
first. Slices never overlap because ``share_i x percent ≤ share_i``.

A schedule is a list of steps ``1%:1h,5%:4h,25%:1d,100%``: a percentage and how long it holds before the
next one. The position is pinned at ``step`` since ``since``; while the guard is green (or absent) it
advances by the holds, while it is red it stays pinned. All of this is pure: ``now`` is passed in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Step", "anchored_ranges", "format_schedule", "parse_schedule", "schedule_position"]

SPACE = 1 << 32
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s*(?::\s*(\d+(?:\.\d+)?)([smhdw]))?\s*$")


@dataclass(frozen=True, slots=True)
class Step:
    """One ramp step: ``percent`` (0-100) held for ``hold_s`` seconds (``None``: until moved by hand)."""

    percent: float
    hold_s: float | None = None


def parse_schedule(text: str) -> tuple[Step, ...]:
    """``"1%:1h,5%:4h,25%:1d,100%"`` → steps; ``ValueError`` naming the bad step otherwise.

    >>> parse_schedule("5%:2h, 100%")
    (Step(percent=5.0, hold_s=7200.0), Step(percent=100.0, hold_s=None))
    """
    steps: list[Step] = []
    for part in text.split(","):
        match = _STEP.match(part)
        if match is None:
            raise ValueError(f"ramp step {part.strip()!r} is not of the form '<percent>%[:<hold><s|m|h|d|w>]'")
        percent = float(match.group(1))
        if not 0 <= percent <= 100:
            raise ValueError(f"ramp step {part.strip()!r}: percent must be within 0..100")
        if steps and percent < steps[-1].percent:
            raise ValueError(f"ramp step {part.strip()!r} goes down; a schedule only rises")
        hold = float(match.group(2)) * _UNITS[match.group(3)] if match.group(2) else None
        steps.append(Step(percent, hold))
    return tuple(steps)


def format_schedule(steps: tuple[Step, ...]) -> str:
    """The inverse of ``parse_schedule``."""
    out = []
    for s in steps:
        pct = f"{s.percent:g}%"
        if s.hold_s is not None:
            unit = next(u for u, n in sorted(_UNITS.items(), key=lambda kv: -kv[1]) if s.hold_s % n == 0)
            pct += f":{s.hold_s / _UNITS[unit]:g}{unit}"
        out.append(pct)
    return ",".join(out)


def schedule_position(
    steps: tuple[Step, ...], pinned: int, since: float, *, green: bool, now: float
) -> tuple[int, float, float]:
    """``(step, percent, next_change_at)`` at ``now``; step -1 means not started (0%).

    While ``green``, the position advances from ``pinned`` by each step's hold; otherwise it stays.
    """
    step = min(pinned, len(steps) - 1)
    at = since
    if green and step >= 0:
        while step + 1 < len(steps):
            hold = steps[step].hold_s
            if hold is None or at + hold > now:
                break
            at += hold
            step += 1
    percent = steps[step].percent if step >= 0 else 0.0
    next_at = math.inf
    if green and 0 <= step < len(steps) - 1 and steps[step].hold_s is not None:
        next_at = at + steps[step].hold_s  # type: ignore[operator]
    return step, percent, next_at


def anchored_ranges(split: list[tuple[str, float]], percent: float) -> tuple[tuple[int, int, str], ...]:
    """``(lo, hi, variant)`` slices of the 32-bit space for ``split`` (variant, weight) at ``percent``.

    >>> anchored_ranges([("on", 1)], 25)
    ((0, 1073741824, 'on'),)
    """
    total = sum(w for _, w in split)
    if total <= 0:
        return ()
    out = []
    anchor = 0.0
    for name, weight in split:
        share = weight / total
        lo = int(anchor * SPACE)
        out.append((lo, lo + int(share * percent / 100 * SPACE), name))
        anchor += share
    return tuple(out)
