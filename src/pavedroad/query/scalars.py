"""Scalar functions and operators: one builder per name (a table, per STYLE: declarative over branching).

Each builder takes the lowerer (for placeholders and constants), the typed node and its lowered
arguments. Dates and buckets assume the session time zone is the tenant's (the drivers set it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from pavedroad.query.context import Slot
from pavedroad.query.ir import Fn
from pavedroad.query.sqlbuild import cast, fn

if TYPE_CHECKING:
    from pavedroad.query.lowering import Lowerer

__all__ = ["SCALARS"]

Args = list[exp.Expression]
Builder = Callable[["Lowerer", Fn, Args], exp.Expression]


def _paren_or(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e) if isinstance(e, exp.Or) else e


def _divide(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    # Always real division (Postgres divides integers as integers), and x / 0 is null on both engines.
    already = isinstance(node.args[1], Fn) and node.args[1].name == "nullif"
    den = a[1] if already else exp.Nullif(this=a[1], expression=lw.const(0, "int"))
    return exp.Paren(this=exp.Div(this=cast(a[0], "number"), expression=den))


def _case(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    pairs = a if node.name == "case_noelse" else a[:-1]
    ifs = [exp.If(this=pairs[i], true=pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)]
    return exp.Case(ifs=ifs, default=None if node.name == "case_noelse" else a[-1])


def _instants(build: Builder) -> Builder:
    """``build`` with dates beside timestamps made timestamps (midnight in the session's, i.e. the tenant's,
    time zone: what Postgres does implicitly anyway), in comparisons and in ``date ± interval``. On Postgres
    the comparison is then timestamptz with timestamptz, a leakproof operator that row-level security lets
    become an index condition; the cross-type operators are not leakproof, so under RLS they filter every
    row of the tenant instead of a range of the index."""

    def typed(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
        if lw.dialect == "postgres" and "timestamp" in (node.type, *(x.type for x in node.args)):
            a = [cast(e, "timestamp") if x.type == "date" else e for x, e in zip(node.args, a, strict=True)]
        return build(lw, node, a)

    return typed


def _calendar(build: Builder) -> Builder:
    """``date ± interval`` typed as a date (``check_types._shifted``) is cast back to one: both engines make a
    timestamp of it, and a date compared with a date column keeps the column's own comparison."""

    def dated(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
        out = build(lw, node, a)
        return cast(out, "date") if node.type == "date" else out

    return dated


def _extract(unit: str) -> Builder:
    """The integer year, quarter or month of a date or timestamp (a timestamp's in the session's, the tenant's,
    time zone); Postgres extracts a numeric, so it is cast to the query's int."""
    return lambda lw, n, a: cast(exp.Extract(this=exp.var(unit), expression=a[0]), "int")


def _substring(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    # Postgres has substring(text, int, int) only: a bound bigint would not resolve, so the positions say int.
    start, *length = (exp.Cast(this=x, to=exp.DataType.build("INT")) for x in a[1:])
    return exp.Substring(this=a[0], start=start, length=length[0] if length else None)


def _now(lw: Lowerer) -> exp.Expression:
    return cast(lw.ph(Slot("now", "now")), "timestamp")


def _bucket(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    trunc = exp.DateTrunc(unit=lw.const(node.name, "string"), this=a[0])  # type: ignore[no-untyped-call]
    return cast(trunc, "date")


def _contains(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    if lw.dialect == "postgres":
        return fn("JSONB_EXISTS", a[0], a[1])  # the function behind jsonb's ? operator (? would clash with drivers)
    return fn("has" if lw.dialect == "clickhouse" else "LIST_CONTAINS", a[0], a[1])


def _concat(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    # A bare text parameter has no type inside a variadic call; say it is text.
    return fn("CONCAT", *(cast(x, "string") if isinstance(x, exp.Placeholder) else x for x in a))


def _starts_with(lw: Lowerer, a: Args) -> exp.Expression:
    return fn("startsWith" if lw.dialect == "clickhouse" else "STARTS_WITH", *a)


def _days_between(lw: Lowerer, node: Fn, a: Args) -> exp.Expression:
    start, end = cast(a[0], "date"), cast(a[1], "date")
    if lw.dialect == "clickhouse":  # dates do not subtract there; dateDiff counts calendar days the same way
        return fn("dateDiff", lw.const("day", "string"), start, end)
    return exp.Paren(this=exp.Sub(this=end, expression=start))


SCALARS: dict[str, Builder] = {
    "=": _instants(lambda lw, n, a: exp.EQ(this=a[0], expression=a[1])),
    "!=": _instants(lambda lw, n, a: exp.NEQ(this=a[0], expression=a[1])),
    "<": _instants(lambda lw, n, a: exp.LT(this=a[0], expression=a[1])),
    "<=": _instants(lambda lw, n, a: exp.LTE(this=a[0], expression=a[1])),
    ">": _instants(lambda lw, n, a: exp.GT(this=a[0], expression=a[1])),
    ">=": _instants(lambda lw, n, a: exp.GTE(this=a[0], expression=a[1])),
    "and": lambda lw, n, a: exp.And(this=_paren_or(a[0]), expression=_paren_or(a[1])),
    "or": lambda lw, n, a: exp.Paren(this=exp.Or(this=a[0], expression=a[1])),
    "not": lambda lw, n, a: exp.Not(this=exp.Paren(this=a[0])),
    "neg": lambda lw, n, a: exp.Neg(this=exp.Paren(this=a[0])),
    "+": _calendar(_instants(lambda lw, n, a: exp.Paren(this=exp.Add(this=a[0], expression=a[1])))),
    "-": _calendar(_instants(lambda lw, n, a: exp.Paren(this=exp.Sub(this=a[0], expression=a[1])))),
    "*": lambda lw, n, a: exp.Paren(this=exp.Mul(this=a[0], expression=a[1])),
    "/": _divide,
    "%": lambda lw, n, a: fn("MOD", *a),  # never the % operator: psycopg would read it as a placeholder
    "like": lambda lw, n, a: exp.Like(this=a[0], expression=a[1]),
    "in": _instants(lambda lw, n, a: exp.In(this=a[0], expressions=a[1:])),
    "not_in": _instants(lambda lw, n, a: exp.Not(this=exp.Paren(this=exp.In(this=a[0], expressions=a[1:])))),
    "between": _instants(lambda lw, n, a: exp.Between(this=a[0], low=a[1], high=a[2])),
    "not_between": _instants(
        lambda lw, n, a: exp.Not(this=exp.Paren(this=exp.Between(this=a[0], low=a[1], high=a[2])))
    ),
    "is_null": lambda lw, n, a: exp.Is(this=a[0], expression=exp.Null()),
    "is_not_null": lambda lw, n, a: exp.Not(this=exp.Is(this=a[0], expression=exp.Null())),
    "case": _case,
    "case_noelse": _case,
    "if": _case,
    "coalesce": lambda lw, n, a: exp.Coalesce(this=a[0], expressions=a[1:]),
    "nullif": lambda lw, n, a: exp.Nullif(this=a[0], expression=a[1]),
    "lower": lambda lw, n, a: exp.Lower(this=a[0]),
    "upper": lambda lw, n, a: exp.Upper(this=a[0]),
    "length": lambda lw, n, a: exp.Length(this=a[0]),
    "trim": lambda lw, n, a: exp.Trim(this=a[0]),
    "concat": _concat,
    "starts_with": lambda lw, n, a: _starts_with(lw, a),
    "contains": _contains,
    "abs": lambda lw, n, a: exp.Abs(this=a[0]),
    "round": lambda lw, n, a: exp.Round(this=a[0]),
    "floor": lambda lw, n, a: exp.Floor(this=a[0]),
    "ceil": lambda lw, n, a: exp.Ceil(this=a[0]),
    "now": lambda lw, n, a: _now(lw),
    "today": lambda lw, n, a: cast(_now(lw), "date"),
    "date": lambda lw, n, a: cast(a[0], "date"),
    "days_between": _days_between,
    "day": lambda lw, n, a: cast(a[0], "date"),  # the tenant-local date: no truncation needed
    "week": _bucket,
    "month": _bucket,
    "quarter": _bucket,
    "year": _bucket,
    "year_of": _extract("YEAR"),
    "quarter_of": _extract("QUARTER"),
    "month_of": _extract("MONTH"),
    "substring": _substring,
}
