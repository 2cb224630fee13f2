"""The aggregates, described once: arity, the type their value needs and the type they give, what they give
over no rows, where their optional row condition sits, and how a one-to-many branch pre-aggregates them.

``functions.FUNCTIONS`` lists them (for name lookup and arity), ``check_types`` reads the argument and result
rules, ``plan_joins`` the partials, and ``lowering`` renders each by name (``_AGGREGATES``) and its condition
per dialect (``CONDITIONS``). A new aggregate is a row here and a builder there, never a case in a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

__all__ = ["AGGREGATES", "CONDITIONS", "AggSpec", "filtered"]


@dataclass(frozen=True, slots=True)
class AggSpec:
    """``arg``: the type family the value needs (``numeric``, ``bool``, ``any``; ``None``: no value).
    ``result``: a fixed type, ``arg0`` (the value's type) or ``numeric`` (int stays int, else number).
    ``empty``: the answer over no rows (``zero`` or ``null``). ``condition``: the position of the optional
    row condition (``sum(x, cond)``; a lone boolean argument of ``count`` is one too). ``partials``: what a
    branch computes per row of the outer query for the group to combine (empty: cannot be combined)."""

    min_args: int
    max_args: int
    arg: str | None
    result: str
    empty: str
    condition: int | None
    partials: tuple[str, ...]
    doc: str


AGGREGATES: dict[str, AggSpec] = {
    "count": AggSpec(0, 2, "any", "int", "zero", 1, ("count",),
                     "count() rows; count(cond) rows where cond; count(x[, cond]) non-null x; count(rel[, cond])"),
    "count_distinct": AggSpec(1, 2, "any", "int", "zero", 1, (), "distinct non-null values [where cond]"),
    "sum": AggSpec(1, 2, "numeric", "numeric", "null", 1, ("sum",), "sum of non-null values [where cond]"),
    "avg": AggSpec(1, 2, "numeric", "number", "null", 1, ("sum", "count"), "mean of non-null values [where cond]"),
    "min": AggSpec(1, 2, "any", "arg0", "null", 1, ("min",), "smallest value [where cond]"),
    "max": AggSpec(1, 2, "any", "arg0", "null", 1, ("max",), "largest value [where cond]"),
    "median": AggSpec(1, 2, "numeric", "number", "null", 1, (), "interpolated median of non-null values [where cond]"),
    "percentile": AggSpec(2, 3, "numeric", "number", "null", 2, (),
                          "percentile(x, p[, cond]): interpolated p-quantile, 0 ≤ p ≤ 1"),
    "rate": AggSpec(1, 2, "bool", "number", "null", 1, ("count_true", "count"),
                    "share of rows where the condition is true (nulls excluded) [among rows where cond]"),
    "any": AggSpec(1, 2, None, "bool", "zero", None, (), "any(rel[, cond]): some related row exists (and matches)"),
}  # fmt: skip

ConditionBuilder = Callable[[exp.Expression, exp.Expression], exp.Expression]


def _filter_clause(value: exp.Expression, cond: exp.Expression) -> exp.Expression:
    """``agg(…) FILTER (WHERE cond)``; an aggregate that already filters (``median`` skips nulls) gets one
    clause with both conditions."""
    if isinstance(value, exp.Filter):
        where = value.expression
        both = exp.And(this=exp.Paren(this=where.this), expression=exp.Paren(this=cond))
        return exp.Filter(this=value.this, expression=exp.Where(this=both))
    return exp.Filter(this=value, expression=exp.Where(this=cond))


# How a row condition on an aggregate is rendered, per dialect.
CONDITIONS: dict[str, ConditionBuilder] = {
    "postgres": _filter_clause,
    "duckdb": _filter_clause,
    "clickhouse": _filter_clause,  # ClickHouse reads FILTER (WHERE …) as its -If combinator
}


def filtered(dialect: str, value: exp.Expression, cond: exp.Expression) -> exp.Expression:
    """``value`` (an aggregate) restricted to the rows where ``cond`` holds, as ``dialect`` spells it."""
    return CONDITIONS[dialect](value, cond)
