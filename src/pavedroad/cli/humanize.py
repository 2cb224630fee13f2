"""Times for people: a command prints a moment as a local date and time with how far it is from now,
never as seconds since the epoch (which nobody reads at a glance, and which hide a wrong clock)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

__all__ = ["duration", "moment", "ramp_position_for_people"]

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def duration(seconds: float) -> str:
    """The two largest units: ``1h 59m``, ``3d 4h``, ``45s``."""
    left = round(abs(seconds))
    parts: list[str] = []
    for unit, size in _UNITS:
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size}{unit}")
            left %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def moment(epoch: float | None, now: float, *, missing: str = "—") -> str:
    """``2026-12-06 01:57:03 UTC (in 1h 59m)`` in the local time zone; ``missing`` for none or infinity."""
    if epoch is None or math.isinf(epoch):
        return missing
    stamp = datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    delta = epoch - now
    if abs(delta) < 1:
        return f"{stamp} (now)"
    return f"{stamp} ({'in ' + duration(delta) if delta > 0 else duration(delta) + ' ago'})"


def ramp_position_for_people(position: dict[str, Any], now: float) -> dict[str, Any]:
    """A ramp position (``RampPosition.to_json``) with its two moments in words; the rest unchanged."""
    since = position.get("since")
    return {
        **position,
        "since": moment(since if since else None, now, missing="not started"),
        "next_change_at": moment(position.get("next_change_at"), now, missing="held until moved"),
    }
