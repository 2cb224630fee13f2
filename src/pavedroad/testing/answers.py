"""Answers made comparable across engines: the differential tests and benchmarks compare with these.

Engines agree on values, not on their Python types: Postgres returns ``Decimal``, DuckDB and ClickHouse
``float`` for the same average, and timestamps arrive in different zones. ``comparable`` maps a value to
one form (numbers to ``digits`` significant digits, instants to UTC ISO text, dates to ISO text), and
``comparable_rows`` sorts rows so that an answer without ``sort`` compares as a set.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["comparable", "comparable_rows"]


def comparable(value: Any, digits: int = 6) -> Any:
    """``value`` in the one form every engine's answer is compared in."""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        f = float(value)
        return 0.0 if f == 0 else round(f, digits - 1 - math.floor(math.log10(abs(f))))
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def comparable_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Every value ``comparable``, rows sorted (order-insensitive comparison)."""
    return sorted((tuple(comparable(v) for v in r) for r in rows), key=repr)
