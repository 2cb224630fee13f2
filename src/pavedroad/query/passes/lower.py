"""The plan becomes one SQLGlot tree, built node by node (no SQL strings, no optimizer), in which
every value is a named placeholder described by a ``Slot`` and every scan carries its tenant predicate.

Dispatch is by node kind (``_lower_<kind>``) and function name (``_FN``); dialect differences live in
small tables (``_TYPES``) and a few branches on ``self.dialect``. An unknown node or function raises an
error naming it, the dialect and the span.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlglot import exp

from pavedroad.query.context import Column, Context, QueryState, Slot
from pavedroad.query.errors import QueryError
from pavedroad.query.ir import Agg, Col, Const, Fn, Hop, Ival, Node, Output, Par, RelRef, Win
from pavedroad.query.passes.plan_joins import Branch, JoinTree, Plan, Scan
from pavedroad.query.passes.scope_tenant import TENANT_PARAM

__all__ = ["lower"]

T = exp.DataType.Type
_TYPES = {"int": T.BIGINT, "number": T.DOUBLE, "string": T.TEXT, "bool": T.BOOLEAN, "date": T.DATE,
          "timestamp": T.TIMESTAMPTZ, "interval": T.INTERVAL}  # fmt: skip
_CMP = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_SIMPLE = {"lower": exp.Lower, "upper": exp.Upper, "length": exp.Length, "abs": exp.Abs, "floor": exp.Floor,
           "ceil": exp.Ceil, "round": exp.Round}  # fmt: skip


def _col(alias: str, name: str) -> exp.Column:
    return exp.Column(this=exp.Identifier(this=name, quoted=False), table=exp.Identifier(this=alias, quoted=False))


def _cast(e: exp.Expression, typ: str) -> exp.Cast:
    return exp.Cast(this=e, to=exp.DataType(this=_TYPES[typ]))


def _and(items: list[exp.Expression]) -> exp.Expression | None:
    out: exp.Expression | None = None
    for it in items:
        it = exp.Paren(this=it) if isinstance(it, exp.Or) else it
        out = it if out is None else exp.And(this=out, expression=it)
    return out


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


class _Lowerer:
    def __init__(self, ctx: Context, plan: Plan) -> None:
        self.ctx = ctx
        self.dialect = ctx.dialect
        self.plan = plan
        self.slots: dict[str, Slot] = {TENANT_PARAM: Slot(TENANT_PARAM, "tenant")}
        self.consts: dict[tuple[Any, str], str] = {}

    # --- values -----------------------------------------------------------------------------------
    def ph(self, slot: Slot) -> exp.Placeholder:
        self.slots.setdefault(slot.name, slot)
        return exp.Placeholder(this=slot.name)

    def const(self, value: Any, typ: str) -> exp.Expression:
        name = self.consts.get((value, typ))
        if name is None:
            name = self.consts[(value, typ)] = f"c{len(self.consts)}"
        return self.ph(Slot(name, "const", value, type=typ))

    def tenant_eq(self, scan: Scan) -> list[exp.Expression]:
        if not scan.scoped:
            return []
        return [exp.EQ(this=_col(scan.alias, scan.tenant_column), expression=self.ph(Slot(TENANT_PARAM, "tenant")))]

    # --- expressions ------------------------------------------------------------------------------
    def expr(self, node: Node, tree: JoinTree, group: bool = False) -> exp.Expression:
        kind = type(node).__name__.lower()
        method = getattr(self, f"_lower_{kind}", None)
        if method is None:
            raise QueryError(f"cannot lower {kind} for {self.dialect}", code="Q100", span=node.span)
        return method(node, tree, group)  # type: ignore[no-any-return]

    def _lower_col(self, node: Col, tree: JoinTree, group: bool) -> exp.Expression:
        f = node.field
        ref = _col(tree.alias(node.hops), f.column)
        if f.json_key is None:
            return ref
        key = self.const(f.json_key, "string")
        raw = exp.JSONExtractScalar(this=ref, expression=key)
        return raw if f.type == "string" else _cast(raw, f.type)

    def _lower_const(self, node: Const, tree: JoinTree, group: bool) -> exp.Expression:
        if node.value is None:
            return exp.Null()
        if isinstance(node.value, bool):
            return exp.Boolean(this=node.value)
        if node.slot is None:
            return self.const(node.value, node.type or "string")
        return self.ph(Slot(f"l{node.slot}", "literal", node.slot, type=node.type))

    def _lower_par(self, node: Par, tree: JoinTree, group: bool) -> exp.Expression:
        return self.ph(Slot(f"p_{node.name}", "param", node.name, type=node.type))

    def _lower_ival(self, node: Ival, tree: JoinTree, group: bool) -> exp.Expression:
        amount = node.amount
        if isinstance(amount, Par):
            slot = Slot(f"iv_{amount.name}_{node.unit}", "interval", ("param", amount.name), node.unit)
        elif amount.slot is not None:
            slot = Slot(f"iv{amount.slot}", "interval", ("literal", amount.slot), node.unit)
        else:
            return _cast(self.const(f"{amount.value} {node.unit}", "string"), "interval")
        return _cast(self.ph(slot), "interval")

    def _lower_relref(self, node: RelRef, tree: JoinTree, group: bool) -> exp.Expression:
        raise QueryError("a relation is not a value", code="Q106", span=node.span)

    def _lower_win(self, node: Win, tree: JoinTree, group: bool) -> exp.Expression:
        args = [self.expr(a, tree, group) for a in node.args]
        order = exp.Order(expressions=[self.ordered(self.expr(o, tree, group), d) for o, d in node.order])
        if node.fn in ("rank", "dense_rank", "row_number"):
            return exp.Window(this=_fn(node.fn.upper()), order=order)
        if node.fn == "running_total":
            spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
            return exp.Window(this=exp.Sum(this=args[0]), order=order, spec=spec)
        if node.fn == "percent_of_total":
            total = exp.Window(this=exp.Sum(this=args[0].copy()))
            return exp.Div(this=_cast(args[0], "number"),
                           expression=exp.Nullif(this=total, expression=self.const(0, "int")))  # fmt: skip
        raise QueryError(f"cannot lower window {node.fn} for {self.dialect}", code="Q105", span=node.span)

    def _lower_fn(self, node: Fn, tree: JoinTree, group: bool) -> exp.Expression:  # noqa: PLR0911, PLR0912
        name = node.name
        a = [self.expr(x, tree, group) for x in node.args]
        if name in _CMP:
            return _CMP[name](this=a[0], expression=a[1])
        if name == "and":
            return exp.And(this=self.paren(a[0]), expression=self.paren(a[1]))
        if name == "or":
            return exp.Paren(this=exp.Or(this=a[0], expression=a[1]))
        if name == "not":
            return exp.Not(this=exp.Paren(this=a[0]))
        if name == "neg":
            return exp.Neg(this=exp.Paren(this=a[0]))
        if name == "+":
            return exp.Paren(this=exp.Add(this=a[0], expression=a[1]))
        if name == "-":
            return exp.Paren(this=exp.Sub(this=a[0], expression=a[1]))
        if name == "*":
            return exp.Paren(this=exp.Mul(this=a[0], expression=a[1]))
        if name == "/":
            already = isinstance(node.args[1], Fn) and node.args[1].name == "nullif"
            den = a[1] if already else exp.Nullif(this=a[1], expression=self.const(0, "int"))
            return exp.Paren(this=exp.Div(this=_cast(a[0], "number"), expression=den))
        if name == "%":
            return _fn("MOD", *a)
        if name == "like":
            return exp.Like(this=a[0], expression=a[1])
        if name in ("in", "not_in"):
            e = exp.In(this=a[0], expressions=a[1:])
            return exp.Not(this=exp.Paren(this=e)) if name == "not_in" else e
        if name in ("between", "not_between"):
            e = exp.Between(this=a[0], low=a[1], high=a[2])
            return exp.Not(this=exp.Paren(this=e)) if name == "not_between" else e
        if name == "is_null":
            return exp.Is(this=a[0], expression=exp.Null())
        if name == "is_not_null":
            return exp.Not(this=exp.Is(this=a[0], expression=exp.Null()))
        if name in ("case", "case_noelse", "if"):
            pairs = a[:-1] if name != "case_noelse" else a
            ifs = [exp.If(this=pairs[i], true=pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)]
            return exp.Case(ifs=ifs, default=a[-1] if name != "case_noelse" else None)
        if name == "coalesce":
            return exp.Coalesce(this=a[0], expressions=a[1:])
        if name == "nullif":
            return exp.Nullif(this=a[0], expression=a[1])
        if name in _SIMPLE:
            return _SIMPLE[name](this=a[0])
        if name == "trim":
            return exp.Trim(this=a[0])
        if name == "concat":  # a bare text parameter has no type inside a variadic call
            return _fn("CONCAT", *(_cast(x, "string") if isinstance(x, exp.Placeholder) else x for x in a))
        if name == "starts_with":
            return _fn("STARTS_WITH", *a)
        if name == "now":
            return _cast(self.ph(Slot("now", "now")), "timestamp")
        if name == "today":
            return _cast(_cast(self.ph(Slot("now", "now")), "timestamp"), "date")
        if name == "date":
            return _cast(a[0], "date")
        if name == "days_between":
            return exp.Paren(this=exp.Sub(this=_cast(a[1], "date"), expression=_cast(a[0], "date")))
        if name in ("day", "week", "month", "quarter", "year"):
            return _cast(exp.DateTrunc(unit=self.const(name, "string"), this=a[0]), "date")
        raise QueryError(f"cannot lower function {name}() for {self.dialect}", code="Q105", span=node.span)

    @staticmethod
    def paren(e: exp.Expression) -> exp.Expression:
        return exp.Paren(this=e) if isinstance(e, exp.Or) else e

    def ordered(self, e: exp.Expression, desc: bool) -> exp.Ordered:
        # Nulls last in both directions, on both engines (their defaults differ).
        return exp.Ordered(this=e, desc=desc, nulls_first=False)

    # --- aggregates -------------------------------------------------------------------------------
    def agg_sql(self, fn: str, arg: exp.Expression | None, extra: list[exp.Expression]) -> exp.Expression:
        if fn == "count":
            return exp.Count(this=arg if arg is not None else exp.Star())
        if fn == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[arg]))
        if fn == "count_true":
            return exp.Count(this=exp.Case(ifs=[exp.If(this=arg, true=exp.Boolean(this=True))]))
        if fn == "sum":
            return exp.Sum(this=arg)
        if fn == "avg":
            return exp.Avg(this=_cast(arg, "number") if arg is not None else None)
        if fn == "min":
            return exp.Min(this=arg)
        if fn == "max":
            return exp.Max(this=arg)
        if fn == "rate":  # true ─► 1, false ─► 0, null ─► excluded
            assert arg is not None
            one, zero = self.const(1.0, "number"), self.const(0.0, "number")
            return exp.Avg(this=exp.Case(ifs=[exp.If(this=arg, true=one), exp.If(this=exp.Not(this=exp.Paren(this=arg.copy())), true=zero)]))
        if fn in ("median", "percentile"):
            q = self.const(0.5, "number") if fn == "median" else extra[0]
            assert arg is not None
            if self.dialect == "duckdb":
                return _fn("QUANTILE_CONT", arg, q)
            return exp.WithinGroup(this=_fn("PERCENTILE_CONT", q), expression=exp.Order(expressions=[exp.Ordered(this=arg)]))
        if fn == "bool_or":
            return _fn("BOOL_OR", arg) if arg is not None else exp.Null()
        raise QueryError(f"cannot lower aggregate {fn}() for {self.dialect}", code="Q105")

    def _lower_agg(self, node: Agg, tree: JoinTree, group: bool) -> exp.Expression:
        if node in self.plan.exists and not group:
            return self.exists(node)
        if not node.grain:
            arg = self.expr(node.arg, tree) if node.arg is not None else None
            return self.agg_sql(node.fn, arg, [self.expr(x, tree) for x in node.extra])
        branch = self.plan.branches[(node.grain, node.where)]
        b = branch.alias
        present = exp.Not(this=exp.Is(this=_col(b, "k"), expression=exp.Null()))
        if not group:  # one value per row of the query's entity
            if node.fn == "any":
                return present
            part = _col(b, branch.part(node.fn, node.arg, node.extra))
            return exp.Coalesce(this=part, expressions=[self.const(0, "int")]) if node.fn == "count" else part
        if node.fn == "any":
            return self.agg_sql("bool_or", present, [])
        if node.fn in ("count", "sum", "min", "max"):
            combine = {"count": exp.Sum, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}[node.fn]
            out: exp.Expression = combine(this=_col(b, branch.part(node.fn, node.arg)))
            if node.fn == "count":
                out = exp.Coalesce(this=out, expressions=[self.const(0, "int")])
            return out
        num = "sum" if node.fn == "avg" else "count_true"
        top = exp.Sum(this=_col(b, branch.part(num, node.arg)))
        den = exp.Sum(this=_col(b, branch.part("count", node.arg)))
        return exp.Div(this=_cast(top, "number"), expression=exp.Nullif(this=den, expression=self.const(0, "int")))

    def exists(self, node: Agg) -> exp.Expression:
        e = self.plan.exists[node]
        sub = self.scan_select(e.tree, [exp.Star()], e.where)
        first = e.tree.prefix[-1]
        link = exp.EQ(this=_col(e.tree.root.alias, first.right_col), expression=_col(self.plan.main.alias(e.anchor), first.left_col))
        where = sub.args["where"].this
        sub.set("where", exp.Where(this=exp.And(this=where, expression=link)))
        return exp.Exists(this=sub)

    # --- relations --------------------------------------------------------------------------------
    def joins(self, tree: JoinTree) -> list[exp.Join]:
        out = []
        for join in tree.joins.values():
            on = [*self.tenant_eq(join.scan),
                  exp.EQ(this=_col(join.scan.alias, join.hop.right_col), expression=_col(join.parent, join.hop.left_col))]  # fmt: skip
            out.append(exp.Join(this=self.table(join.scan), on=_and(on), kind=None if join.inner else "LEFT"))
        return out

    @staticmethod
    def table(scan: Scan) -> exp.Table:
        return exp.Table(this=exp.Identifier(this=scan.table, quoted=False),
                         alias=exp.TableAlias(this=exp.Identifier(this=scan.alias, quoted=False)))  # fmt: skip

    def scan_select(self, tree: JoinTree, columns: list[exp.Expression], where: Node | None) -> exp.Select:
        conds = self.tenant_eq(tree.root)
        if where is not None:
            conds.append(self.expr(where, tree))
        sel = exp.Select(expressions=columns)
        sel.set("from_", exp.From(this=self.table(tree.root)))
        sel.set("joins", self.joins(tree) or None)
        if conds:
            sel.set("where", exp.Where(this=_and(conds)))
        return sel

    def branch_select(self, branch: Branch) -> exp.Join:
        tree = branch.tree
        first: Hop = tree.prefix[-1]
        key = _col(tree.root.alias, first.right_col)
        cols: list[exp.Expression] = [exp.alias_(key, "k", copy=False)]
        for (fn, arg, extra), name in branch.parts.items():
            value = self.agg_sql(fn, self.expr(arg, tree) if arg is not None else None, [self.expr(x, tree) for x in extra])
            cols.append(exp.alias_(value, name, copy=False))
        sub = self.scan_select(tree, cols, branch.where)
        sub.set("group", exp.Group(expressions=[key.copy()]))
        anchor = self.plan.main.alias(branch.anchor)
        on = exp.EQ(this=_col(branch.alias, "k"), expression=_col(anchor, first.left_col))
        alias = exp.TableAlias(this=exp.Identifier(this=branch.alias, quoted=False))
        return exp.Join(this=exp.Subquery(this=sub, alias=alias), on=on, kind="LEFT")


def _typed(e: exp.Expression, typ: str | None) -> exp.Expression:
    """A bare parameter in the select list gets its type spelled out (Postgres cannot infer it)."""
    return _cast(e, typ) if isinstance(e, exp.Placeholder) and typ in _TYPES else e


def _alias(e: exp.Expression, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=exp.Identifier(this=name, quoted=True))


def lower(query: QueryState, ctx: Context) -> QueryState:
    """The plan becomes one SQLGlot SELECT whose values are all named placeholders."""
    res, plan = query.resolved, query.plan
    assert res is not None and isinstance(plan, Plan)
    lw = _Lowerer(ctx, plan)
    main = plan.main
    grouped = res.aggregated
    outputs = list(res.outputs)
    sort = list(res.sort)
    cursor: list[str] = []
    if res.page is not None:
        key = next(o.expr for o in _key_output(ctx, res.entity))
        if not any(k == key for k, _ in sort):
            sort.append((key, False))  # the entity key breaks ties, so pages never skip or repeat rows
        for i, (k, _) in enumerate(sort):
            if isinstance(k, Col) and k.field.nullable:
                raise QueryError(
                    f"'{k.field.name}' can be null, so it cannot order a paged list", code="Q303", span=k.span,
                    hint=f"sort by coalesce({k.field.name}, …) or by a field that is never null",
                )
            named = next((o.name for o in outputs if o.expr == k), None)
            if named is None:
                named = f"__k{i}"
                outputs.append(Output(named, k, hidden=True))
            cursor.append(named)
    keys = [g.expr for g in res.groups]
    cols = [_alias(_typed(lw.expr(o.expr, main, grouped and o.expr not in keys), o.expr.type), o.name) for o in outputs]
    where_nodes = [lw.expr(w, main) for w in res.where]
    if res.page is not None and ctx.has_cursor:
        where_nodes.append(_keyset(lw, sort, main))
    sel = exp.Select(expressions=cols)
    sel.set("from_", exp.From(this=lw.table(main.root)))
    joins = lw.joins(main) + [lw.branch_select(b) for b in plan.branches.values()]
    if joins:
        sel.set("joins", joins)
    conds = lw.tenant_eq(main.root) + where_nodes
    if conds:
        sel.set("where", exp.Where(this=_and(conds)))
    if grouped and res.groups:
        sel.set("group", exp.Group(expressions=[lw.expr(g.expr, main) for g in res.groups]))
    if res.having:
        sel.set("having", exp.Having(this=_and([lw.expr(h, main, True) for h in res.having])))
    if sort:
        order = []
        for k, desc in sort:
            named = next((o.name for o in outputs if o.expr == k), None)
            target = exp.Column(this=exp.Identifier(this=named, quoted=True)) if named else lw.expr(k, main, grouped)
            order.append(lw.ordered(target, desc))
        sel.set("order", exp.Order(expressions=order))
    if res.page is not None:
        src = res.page.size
        source = ("param", src.name) if isinstance(src, Par) else ("literal", src.slot)
        sel.set("limit", exp.Limit(expression=lw.ph(Slot("page_limit", "page_limit", source))))
    elif res.limit is not None:
        sel.set("limit", exp.Limit(expression=lw.expr(res.limit, main)))
    hidden = tuple(Column(o.name, o.expr.type or "null", "internal", hidden=True) for o in outputs[len(res.outputs) :])
    return replace(query, sql=sel, slots=tuple(lw.slots.values()), columns=query.columns + hidden,
                   cursor=tuple(cursor))  # fmt: skip


def _key_output(ctx: Context, entity: str) -> list[Output]:
    ent = ctx.model.entities[entity]
    from pavedroad.query.ir import FieldRef
    from pavedroad.query.model import Classification

    f = ent.fields[ent.key]
    ref = FieldRef(entity, ent.key, ent.column_of(ent.key), f.type, int(Classification[f.classification]), False)
    return [Output(ent.key, Col((), ref, type=f.type))]


def _keyset(lw: _Lowerer, sort: list[tuple[Node, bool]], tree: JoinTree) -> exp.Expression:
    """Rows strictly after the cursor in (k1, k2, …, key) order: k1 > c1 or (k1 = c1 and (k2 > c2 or …))."""
    out: exp.Expression | None = None
    for i in range(len(sort) - 1, -1, -1):
        k, desc = sort[i]
        left = lw.expr(k, tree)
        right = lw.ph(Slot(f"k{i}", "cursor", i, type=k.type))
        step = (exp.LT if desc else exp.GT)(this=left, expression=right)
        if out is not None:
            tie = exp.And(this=exp.EQ(this=left.copy(), expression=right.copy()), expression=out)
            step = exp.Or(this=step, expression=tie)
        out = exp.Paren(this=step)
    assert out is not None
    return out
