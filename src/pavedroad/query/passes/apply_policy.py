"""Every field the query reads, and every output it derives, is allowed for the caller's role by the
``FieldPolicy`` port; a refused field is reported exactly as an unknown one (Q104), with suggestions
drawn only from allowed names. Each output column is stamped with its classification (the max of its
inputs), which the privacy layer can act on after the query runs.
"""

from __future__ import annotations

from dataclasses import replace

from pavedroad.query.context import Column, Context, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, available, did_you_mean
from pavedroad.query.ir import Node, Resolved, classification_of, cols_of
from pavedroad.query.model import Classification
from pavedroad.query.ports import FieldUse

__all__ = ["apply_policy"]


def _every_expr(res: Resolved) -> list[Node]:
    nodes: list[Node] = [*res.where, *res.having, *(k for k, _ in res.sort)]
    nodes += [o.expr for o in (*res.groups, *res.aggregates, *res.outputs)]
    return nodes


def _refuse(ctx: Context, entity: str, name: str, span: object) -> QueryError:
    ent = ctx.model.entities[entity]
    allowed = [
        n for n, f in ent.fields.items()
        if f.queryable and f.type != "json"
        and ctx.policy.allows(ctx.role, FieldUse(entity, n, Classification[f.classification]))
    ]  # fmt: skip
    guess = did_you_mean(name, allowed)
    msg = f"unknown field '{name}' on {entity}" + (f"; did you mean '{guess}'?" if guess else "")
    return QueryError(msg, code="Q104", span=span, hint=available(allowed, guess))  # type: ignore[arg-type]


def apply_policy(query: QueryState, ctx: Context) -> QueryState:
    """Every field read and every output derived is allowed for the role; refused ones read as unknown."""
    res = query.resolved
    if res is None:
        raise InternalCompilerError("apply_policy ran before resolve_names")
    stack: list[Node] = _every_expr(res)
    seen: set[tuple[str, str]] = set()
    while stack:
        node = stack.pop()
        for col in cols_of(node):
            f = col.field
            if (f.entity, f.name) in seen:
                continue
            use = FieldUse(f.entity, f.name, Classification(f.classification), f.json_key is not None, f.category)
            if not ctx.policy.allows(ctx.role, use):
                raise _refuse(ctx, f.entity, f.name, col.span)
            seen.add((f.entity, f.name))
    columns = []
    for out in res.outputs:
        level = Classification(classification_of(out.expr))
        if not ctx.policy.allows(ctx.role, FieldUse(res.entity, out.name, level)):
            raise QueryError(
                f"unknown field '{out.name}' on {res.entity}",
                code="Q104",
                span=out.span,
                hint="the expression reads data your role may not see",
            )
        columns.append(Column(out.name, out.expr.type or "null", level.name, out.hidden))
    return replace(query, columns=tuple(columns))
