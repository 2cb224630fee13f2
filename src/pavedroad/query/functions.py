"""The built-in function table: kind, arity and result type. Declarative; lowering lives in ``lower``.

Kinds: ``scalar`` (row by row), ``agg`` (collapses rows), ``window`` (over the result rows), ``total`` (an
aggregate over the whole filtered set, the same for every row: ``all()``).
Result type rules: a fixed type, ``arg0`` (same as the first argument), or ``numeric`` (int stays
int, anything else number).
"""

from __future__ import annotations

from dataclasses import dataclass

from pavedroad.query.aggregates import AGGREGATES

__all__ = ["BUCKETS", "DECOMPOSABLE", "FUNCTIONS", "FnSpec"]


@dataclass(frozen=True, slots=True)
class FnSpec:
    kind: str
    min_args: int
    max_args: int
    result: str
    doc: str


FUNCTIONS: dict[str, FnSpec] = {
    # scalar
    "coalesce": FnSpec("scalar", 2, 8, "arg0", "first non-null argument"),
    "nullif": FnSpec("scalar", 2, 2, "arg0", "null when both arguments are equal"),
    "if": FnSpec("scalar", 3, 3, "arg1", "if(cond, then, else)"),
    "lower": FnSpec("scalar", 1, 1, "string", "lower-case text"),
    "upper": FnSpec("scalar", 1, 1, "string", "upper-case text"),
    "length": FnSpec("scalar", 1, 1, "int", "characters in text"),
    "trim": FnSpec("scalar", 1, 1, "string", "text without surrounding spaces"),
    "concat": FnSpec("scalar", 2, 8, "string", "text joined; nulls read as empty"),
    "starts_with": FnSpec("scalar", 2, 2, "bool", "text starts with a prefix"),
    "contains": FnSpec("scalar", 2, 2, "bool", "contains(list, text): a multi-select field holds the value"),
    "abs": FnSpec("scalar", 1, 1, "arg0", "absolute value"),
    "round": FnSpec("scalar", 1, 1, "number", "nearest whole number (half away from zero)"),
    "floor": FnSpec("scalar", 1, 1, "number", "largest whole number not above"),
    "ceil": FnSpec("scalar", 1, 1, "number", "smallest whole number not below"),
    "today": FnSpec("scalar", 0, 0, "date", "the current date in the tenant's time zone"),
    "now": FnSpec("scalar", 0, 0, "timestamp", "the current instant (the compiler's injected clock)"),
    "date": FnSpec("scalar", 1, 1, "date", 'the tenant-zone date of a timestamp; date "2024-01-31": a literal'),
    "days_between": FnSpec("scalar", 2, 2, "int", "calendar days from a to b in the tenant's time zone"),
    "day": FnSpec("scalar", 1, 1, "date", "bucket: the day"),
    "week": FnSpec("scalar", 1, 1, "date", "bucket: the Monday starting the ISO week"),
    "month": FnSpec("scalar", 1, 1, "date", "bucket: the first day of the month"),
    "quarter": FnSpec("scalar", 1, 1, "date", "bucket: the first day of the quarter"),
    "year": FnSpec("scalar", 1, 1, "date", "bucket: the first day of the year"),
    "year_of": FnSpec("scalar", 1, 1, "int", "the year number of a date or timestamp (tenant zone): 2024"),
    "quarter_of": FnSpec("scalar", 1, 1, "int", "the quarter number, 1-4 (tenant zone)"),
    "month_of": FnSpec("scalar", 1, 1, "int", "the month number, 1-12 (tenant zone)"),
    "substring": FnSpec("scalar", 2, 3, "string", "substring(s, start[, length]): characters from start (1-based)"),
    # aggregates: described in pavedroad.query.aggregates
    **{name: FnSpec("agg", a.min_args, a.max_args, a.result, a.doc) for name, a in AGGREGATES.items()},
    # ungrouped totals
    "all": FnSpec("total", 1, 1, "arg0", "all(agg): the aggregate over every row the earlier filters keep"),
    # windows
    "rank": FnSpec("window", 1, 2, "int", "rank(order[, partition(k)]): 1 for the first row by the order (ties share)"),
    "dense_rank": FnSpec("window", 1, 2, "int", "like rank, without gaps"),
    "row_number": FnSpec("window", 1, 2, "int", "row_number(order[, partition(k)]): 1, 2, 3 …"),
    "running_total": FnSpec("window", 2, 3, "numeric", "running_total(x, order[, partition(k)]): cumulative sum"),
    "percent_of_total": FnSpec("window", 1, 2, "number", "x / the sum of x over all result rows (or its partition)"),
    "lag": FnSpec("window", 2, 4, "arg0", "lag(x, order[, n][, partition(k)]): x of the row n (1) before"),
    "lead": FnSpec("window", 2, 4, "arg0", "lead(x, order[, n][, partition(k)]): x of the row n (1) after"),
    "partition": FnSpec("partition", 1, 8, "null", "partition(k, …): a window function's rows with equal keys"),
}

BUCKETS = ("day", "week", "month", "quarter", "year")

# Aggregates that can be computed per branch row and combined: what to combine with.
DECOMPOSABLE: dict[str, str] = {"count": "sum", "sum": "sum", "min": "min", "max": "max", "any": "max"}
