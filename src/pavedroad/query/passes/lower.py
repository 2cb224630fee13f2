"""The plan becomes one SQLGlot SELECT, built node by node (no SQL strings, no optimizer), in which every
value is a named placeholder described by a ``Slot`` and every scan carries its tenant predicate.

This module assembles the statement (outputs, joins, branches, filters, grouping, order, limit, keyset
page); ``pavedroad.query.lowering`` lowers the expressions. Every statement is bounded: a query without
``take`` or ``page`` gets the default page (``Limits.default_page`` rows and a cursor) when it is a list
that can be paged by key, and the row cap (``Limits.max_rows``, refused past it) otherwise.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from pavedroad.query.context import Column, Context, QueryState, Slot
from pavedroad.query.errors import InternalCompilerError, QueryError
from pavedroad.query.ir import Col, Const, FieldRef, Node, Output, PageSpec, Par, Resolved, Win, children
from pavedroad.query.lowering import Lowerer, may_be_null
from pavedroad.query.model import Classification
from pavedroad.query.passes.plan_joins import JoinTree, Plan
from pavedroad.query.sqlbuild import TYPES, and_, cast

__all__ = ["lower"]


def _typed(e: exp.Expression, typ: str | None) -> exp.Expression:
    """A bare parameter in the select list gets its type spelled out (Postgres cannot infer it)."""
    return cast(e, typ) if isinstance(e, exp.Placeholder) and typ in TYPES else e


def _alias(e: exp.Expression, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=exp.Identifier(this=name, quoted=True))


def lower(query: QueryState, ctx: Context) -> QueryState:
    """The plan becomes one SQLGlot SELECT whose values are all named placeholders."""
    res, plan = query.resolved, query.plan
    if res is None:
        raise InternalCompilerError("lower ran before resolve_names")
    if not isinstance(plan, Plan):
        raise InternalCompilerError("lower ran before plan_joins")
    res, bound = _bounded(res)
    lw = Lowerer(ctx, plan)
    main = plan.main
    outputs, sort, cursor = _page_keys(ctx, res) if res.page is not None else (list(res.outputs), list(res.sort), [])
    keys = [g.expr for g in res.groups]
    cols = [_alias(_typed(lw.expr(o.expr, main, res.aggregated and o.expr not in keys), o.expr.type), o.name)
            for o in outputs]  # fmt: skip
    sel = exp.Select(expressions=cols)
    sel.set("from_", exp.From(this=lw.table(main.root)))
    joins = lw.joins(main) + [lw.branch_select(b) for b in plan.branches.values()]
    if joins:
        sel.set("joins", joins)
    conds = lw.tenant_eq(main.root) + [lw.expr(w, main) for w in res.where]
    if res.page is not None and ctx.has_cursor:
        conds.append(_keyset(lw, sort, main))
    if conds:
        sel.set("where", exp.Where(this=and_(conds)))
    if res.aggregated and res.groups:
        sel.set("group", exp.Group(expressions=[lw.expr(g.expr, main) for g in res.groups]))
    if res.having:
        sel.set("having", exp.Having(this=and_([lw.expr(h, main, True) for h in res.having])))
    if sort:
        sel.set("order", exp.Order(expressions=[_order_key(lw, k, d, outputs, res.aggregated) for k, d in sort]))
    limit = _limit(lw, res, bound)
    if limit is not None:
        sel.set("limit", exp.Limit(expression=limit))
    hidden = tuple(Column(o.name, o.expr.type or "null", "internal", hidden=True) for o in outputs[len(res.outputs) :])
    return replace(query, sql=sel, slots=tuple(lw.slots.values()), columns=query.columns + hidden,
                   cursor=tuple(cursor))  # fmt: skip


def _page_keys(ctx: Context, res: Resolved) -> tuple[list[Output], list[tuple[Node, bool]], list[str]]:
    """For a page: the sort keys plus the entity key as tie-breaker, hidden outputs for keys not selected,
    and the output names that make up the cursor."""
    outputs, sort, cursor = list(res.outputs), list(res.sort), []
    key = _key_output(ctx, res.entity).expr
    if not any(k == key for k, _ in sort):
        sort.append((key, False))  # the entity key breaks ties, so pages never skip or repeat rows
    for i, (k, _) in enumerate(sort):
        if may_be_null(k):
            name = k.field.name if isinstance(k, Col) else "this sort key"
            raise QueryError(
                f"'{name}' can be null, so it cannot order a paged list", code="Q303", span=k.span,
                hint=f"sort by coalesce({name}, …) or by a field that is never null",
            )  # fmt: skip
        named = next((o.name for o in outputs if o.expr == k), None)
        if named is None:
            named = f"__k{i}"
            outputs.append(Output(named, k, hidden=True))
        cursor.append(named)
    return outputs, sort, cursor


def _order_key(lw: Lowerer, key: Node, desc: bool, outputs: list[Output], grouped: bool) -> exp.Ordered:
    """An output's alias when the key is an output (valid on both engines), else the expression."""
    named = next((o.name for o in outputs if o.expr == key), None)
    target = exp.Column(this=exp.Identifier(this=named, quoted=True)) if named else lw.expr(key, lw.plan.main, grouped)
    return lw.ordered(target, desc, may_be_null(key))


_DEFAULT_PAGE = Const(None, "int")  # the page size of a query without take/page: Limits.default_page


def _bounded(res: Resolved) -> tuple[Resolved, str | None]:
    """No answer is unbounded. A list without take/page gets the default page, so the caller goes on with
    ``next_cursor``; one that paging would change (a sort key that can be null, a window over the rows)
    and an aggregated result get the row cap instead: one row past ``max_rows`` refuses the answer."""
    if res.page is not None or res.limit is not None:
        return res, None
    keys = [k for k, _ in res.sort]
    windowed = any(_has_window(o.expr) for o in res.outputs) or any(_has_window(k) for k in keys)
    if res.aggregated or windowed or any(may_be_null(k) for k in keys):
        return res, "row_cap"
    return replace(res, page=PageSpec(_DEFAULT_PAGE, None)), None


def _has_window(node: Node) -> bool:
    return isinstance(node, Win) or any(_has_window(c) for c in children(node))


def _limit(lw: Lowerer, res: Resolved, bound: str | None) -> exp.Expression | None:
    """LIMIT as a bound row count (checked against the row limit at bind time); pages fetch one extra row,
    and so does the row cap (that row tells the result went past it)."""
    if bound == "row_cap":
        return lw.ph(Slot("row_cap", "row_cap"))
    src = res.page.size if res.page is not None else res.limit
    if src is None:
        return None
    if src is _DEFAULT_PAGE:
        return lw.ph(Slot("page_limit", "page_limit", ("default", None)))
    source = ("param", src.name) if isinstance(src, Par) else ("literal", src.slot)
    kind = "page_limit" if res.page is not None else "limit"
    return lw.ph(Slot(kind, kind, source))


def _key_output(ctx: Context, entity: str) -> Output:
    ent = ctx.model.entities[entity]
    f = ent.fields[ent.key]
    ref = FieldRef(entity, ent.key, ent.column_of(ent.key), f.type, int(Classification[f.classification]), False)
    return Output(ent.key, Col((), ref, type=f.type))


def _keyset(lw: Lowerer, sort: list[tuple[Node, bool]], tree: JoinTree) -> exp.Expression:
    """Rows strictly after the cursor in (k1, k2, …, key) order: k1 > c1 or (k1 = c1 and (k2 > c2 or …))."""
    out: exp.Expression | None = None
    for i in range(len(sort) - 1, -1, -1):
        k, desc = sort[i]
        left = lw.expr(k, tree)
        right = lw.ph(Slot(f"k{i}", "cursor", i, type=k.type))
        step: exp.Expression = (exp.LT if desc else exp.GT)(this=left, expression=right)
        if out is not None:
            tie = exp.And(this=exp.EQ(this=left.copy(), expression=right.copy()), expression=out)
            step = exp.Or(this=step, expression=tie)
        out = exp.Paren(this=step)
    if out is None:
        raise InternalCompilerError("a page without sort keys")
    return out
