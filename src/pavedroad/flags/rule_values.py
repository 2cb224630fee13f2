"""JSON Logic value semantics shared by the compiled operators: truthiness, loose equality, ordering.

These follow the JavaScript semantics JSON Logic (and flagd) define, so a rule means the same thing here
as in every other flagd provider: ``"1" == 1`` is true, ``0``/``""``/``[]``/``null`` are falsy, and a
comparison between values that cannot be ordered is false rather than an error.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["loose_eq", "num", "order", "strict_eq", "to_text", "truthy"]


def truthy(value: Any) -> bool:
    """JSON Logic truthiness (an empty object is truthy, as in JavaScript)."""
    if isinstance(value, dict):
        return True
    return bool(value)


def num(value: Any) -> float | None:  # noqa: PLR0911 - one return per JSON type reads best
    """JavaScript ``Number(value)`` for what a context holds; ``None`` where that is NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            result = float(text)
        except ValueError:
            return None
        return None if math.isnan(result) else result
    return None


def strict_eq(a: Any, b: Any) -> bool:
    """``===``: same JSON type and equal value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def loose_eq(a: Any, b: Any) -> bool:
    """``==`` with JavaScript coercion between numbers, strings and booleans; null equals only null."""
    if a is None or b is None:
        return a is None and b is None
    if type(a) is type(b):
        return bool(a == b)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    na, nb = num(a), num(b)
    return na is not None and nb is not None and na == nb


def order(a: Any, b: Any) -> int | None:
    """-1/0/1 for ``<``-style comparisons, ``None`` when the values cannot be ordered."""
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    na, nb = num(a), num(b)
    if na is None or nb is None:
        return None
    return (na > nb) - (na < nb)


def to_text(value: Any) -> str:
    """JavaScript ``String(value)`` for ``cat``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(to_text(v) for v in value)
    return str(value)
