"""Small SQLGlot builders shared by the lowering code: columns, casts, conjunctions, calls, types."""

from __future__ import annotations

from sqlglot import exp

__all__ = ["TYPES", "and_", "cast", "col", "fn"]

T = exp.DataType.Type
# Query types ─► SQL types; SQLGlot spells them per dialect (DOUBLE PRECISION on Postgres, DOUBLE on DuckDB).
TYPES = {"int": T.BIGINT, "number": T.DOUBLE, "string": T.TEXT, "bool": T.BOOLEAN, "date": T.DATE,
         "timestamp": T.TIMESTAMPTZ, "interval": T.INTERVAL}  # fmt: skip


def col(alias: str, name: str) -> exp.Column:
    """``alias.name`` (both from the validated model, never from the query text)."""
    return exp.Column(this=exp.Identifier(this=name, quoted=False), table=exp.Identifier(this=alias, quoted=False))


def cast(e: exp.Expression, typ: str) -> exp.Cast:
    return exp.Cast(this=e, to=exp.DataType(this=TYPES[typ]))


def and_(items: list[exp.Expression]) -> exp.Expression | None:
    """``a AND b AND …`` with ORs parenthesised; None for no items."""
    out: exp.Expression | None = None
    for item in items:
        part = exp.Paren(this=item) if isinstance(item, exp.Or) else item
        out = part if out is None else exp.And(this=out, expression=part)
    return out


def fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    """A function call SQLGlot passes through by name (the same spelling on both dialects)."""
    return exp.Anonymous(this=name, expressions=list(args))
