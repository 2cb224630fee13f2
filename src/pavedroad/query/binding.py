"""Parameter values for a compiled template: one small binder per slot kind (a table, not a branch chain).

The SQL of a cached template never changes; only these values do. Literal values come from the
query's text (in source order), ``$params`` from the request (checked against their inferred types),
the tenant and ``now`` from the caller, page cursors from the previous page. Row limits are enforced
here, because ``take`` and ``page size`` values are literals that do not enter the cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pavedroad.query.context import Limits, Slot
from pavedroad.query.errors import QueryError, QueryLimitError
from pavedroad.query.limits import lone_surrogate, surrogate_message

__all__ = ["BindInput", "bind"]


@dataclass(frozen=True, slots=True)
class BindInput:
    literals: list[Any]
    params: dict[str, Any]
    tenant: str
    now: datetime
    cursor: list[Any] | None
    limits: Limits
    time_zone: str = "UTC"  # the tenant's, for engines that read stored instants in it explicitly (ClickHouse)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, date | str),
    "timestamp": lambda v: isinstance(v, datetime | str),
}


def coerce(value: Any, typ: str | None, what: str) -> Any:
    """``value`` checked against the inferred type; ISO strings become dates and timestamps. Text
    must be encodable (no lone surrogate), so the driver never meets a value it cannot send."""
    text_ok(value, what)
    check = _TYPE_CHECKS.get(typ or "")
    if value is not None and check is not None and not check(value):
        raise QueryError(f"{what} must be {typ}, got {type(value).__name__}", code="Q108",
                         hint="pass a value of the declared type")  # fmt: skip
    try:
        if typ == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        if typ == "timestamp" and isinstance(value, str):
            return datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{what} is not an ISO {typ}: {value!r}", code="Q108",
                         hint="e.g. 2024-01-31 or 2024-01-31T09:00:00+00:00") from None  # fmt: skip
    return value


def text_ok(value: Any, what: str) -> Any:
    """``value``, unless it is text holding a lone UTF-16 surrogate (Q108 naming where)."""
    at = lone_surrogate(value) if isinstance(value, str) else None
    if at is not None:
        raise QueryError(f"character {at + 1} of {what} is {surrogate_message(value, at)}", code="Q108",
                         hint="send valid Unicode: a \\uD800-\\uDFFF escape must be one half of a pair")  # fmt: skip
    return value


def _literal(slot: Slot, b: BindInput) -> Any:
    """A literal's value; text compared with a date or timestamp is parsed here and sent in canonical ISO
    form (still as text, so Postgres types it from its column exactly as before), never as raw input."""
    value = text_ok(b.literals[slot.source], "a string literal")
    if slot.type in ("date", "timestamp") and isinstance(value, str):
        try:
            parsed = date.fromisoformat(value) if slot.type == "date" else datetime.fromisoformat(value)
        except ValueError:
            raise QueryError(f"a text literal compared with a {slot.type} is not an ISO {slot.type}", code="Q108",
                             hint="e.g. 2024-01-31 or 2024-01-31T09:00:00+00:00") from None  # fmt: skip
        return parsed.isoformat()
    return value


def _amount(slot: Slot, b: BindInput) -> Any:
    src, ref = slot.source
    if src == "literal":
        return b.literals[ref]
    if src == "default":
        return b.limits.default_page
    if ref not in b.params:
        raise QueryError(f"no value for ${ref}", code="Q107", hint=f"pass params={{'{ref}': …}}")
    return b.params[ref]


def rows(n: Any, limits: Limits) -> int:
    """A row count for take/page: a whole number from 1 to ``limits.max_rows``."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise QueryError("take and page size need a whole number of at least 1", code="Q108")
    if n > limits.max_rows:
        raise QueryLimitError(f"{n} rows requested; the limit is {limits.max_rows}", code="Q404",
                              hint="page through the results with page size N after $cursor")  # fmt: skip
    return n


def _param(slot: Slot, b: BindInput) -> Any:
    if slot.source not in b.params:
        raise QueryError(f"no value for ${slot.source}", code="Q107", hint=f"pass params={{'{slot.source}': …}}")
    return coerce(b.params[slot.source], slot.type, f"${slot.source}")


def _interval(slot: Slot, b: BindInput) -> Any:
    """``"<amount> <unit>"`` text; a slot typed ``int`` (ClickHouse's ``INTERVAL {n:Int64} UNIT``, whose unit
    is in the SQL) takes the amount alone, a whole number."""
    amount = _amount(slot, b)
    if not isinstance(amount, int | float) or isinstance(amount, bool):
        raise QueryError(f"the interval amount {amount!r} must be a number", code="Q108")
    if slot.type == "int":
        if amount != int(amount):
            raise QueryError(f"the interval amount {amount!r} must be a whole number here", code="Q108",
                             hint="use a smaller unit (e.g. 36 hours for 1.5 days)")  # fmt: skip
        return int(amount)
    return f"{amount} {slot.unit}"


def _cursor(slot: Slot, b: BindInput) -> Any:
    if b.cursor is None or slot.source >= len(b.cursor):
        raise QueryError("the cursor does not match this query", code="Q303",
                         hint="pass the next_cursor of the previous page of the same query")  # fmt: skip
    return coerce(b.cursor[slot.source], slot.type, "cursor")


_BINDERS: dict[str, Callable[[Slot, BindInput], Any]] = {
    "tenant": lambda s, b: b.tenant,
    "time_zone": lambda s, b: b.time_zone,
    "now": lambda s, b: b.now,
    "const": lambda s, b: s.source,
    "literal": _literal,
    "param": _param,
    "interval": _interval,
    "cursor": _cursor,
    "limit": lambda s, b: rows(_amount(s, b), b.limits),
    "page_limit": lambda s, b: rows(_amount(s, b), b.limits) + 1,  # one more row tells whether a next page exists
    "row_cap": lambda s, b: b.limits.max_rows + 1,  # one more row tells the answer went past the cap
}


def bind(slots: tuple[Slot, ...], b: BindInput) -> dict[str, Any]:
    """The parameter dict for ``slots``."""
    return {s.name: _BINDERS[s.kind](s, b) for s in slots}
