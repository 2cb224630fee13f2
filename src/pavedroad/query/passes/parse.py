"""The source (pipeline text or JSON form) becomes a frozen AST with spans, within the length limit."""

from __future__ import annotations

from dataclasses import replace

from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import QueryLimitError
from pavedroad.query.text import parse_text

__all__ = ["parse"]


def parse(query: QueryState, ctx: Context) -> QueryState:
    """The source text parses to an AST (Q100/Q101 with a span otherwise); JSON arrives already parsed."""
    if query.ast is not None:
        return query
    source = query.source or ""
    if len(source) > ctx.limits.max_length:
        raise QueryLimitError(
            f"the query is {len(source)} characters; the limit is {ctx.limits.max_length}",
            code="Q401",
            hint="split it into smaller reports",
        )
    return replace(query, ast=parse_text(source))
