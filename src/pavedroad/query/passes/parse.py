"""The source (pipeline text or JSON form) becomes a frozen AST with spans, within the size limits."""

from __future__ import annotations

from dataclasses import replace

from pavedroad.query.context import Context, QueryState
from pavedroad.query.text import parse_text

__all__ = ["parse"]


def parse(query: QueryState, ctx: Context) -> QueryState:
    """The source text parses to an AST (Q100/Q101 with a span otherwise; Q401/Q402 past ``ctx.limits``);
    JSON arrives already parsed (and checked by ``from_json``)."""
    if query.ast is not None:
        return query
    return replace(query, ast=parse_text(query.source or "", ctx.limits))
