"""Lowering of one plan's pieces to SQLGlot nodes: values become named placeholders (``Slot``), columns
are read through the plan's aliases, aggregates over one-to-many branches read the branch's partials,
and every scan renders its tenant predicate. Dispatch by node kind (``_lower_<kind>``) and, for scalar
functions, by name (``scalars.SCALARS``); an unknown node or function raises an error naming it and the
dialect.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from pavedroad.query.aggregates import filtered
from pavedroad.query.clickhouse import placeholder_type
from pavedroad.query.context import Context, Slot
from pavedroad.query.errors import InternalCompilerError, QueryError
from pavedroad.query.ir import Agg, Col, Const, Fn, Hop, Ival, Node, Par, RelRef, Total, Win
from pavedroad.query.passes.plan_joins import Branch, JoinTree, Plan, Scan
from pavedroad.query.passes.scope_tenant import TENANT_PARAM
from pavedroad.query.scalars import SCALARS
from pavedroad.query.sqlbuild import and_, cast, col, fn

__all__ = ["Lowerer", "may_be_null"]


def may_be_null(node: Node) -> bool:
    """Whether a value may be null (conservative): a nullable field, or any field reached through an optional
    relation (its join pads with nulls), or an expression that can yield null."""
    if isinstance(node, Col):
        return node.field.nullable or any(not h.required or h.many for h in node.hops)
    if isinstance(node, Const):
        return node.value is None
    if isinstance(node, Fn):
        if node.name == "coalesce":
            return all(may_be_null(a) for a in node.args)
        return node.name in ("case_noelse", "nullif", "/") or any(may_be_null(a) for a in node.args)
    return not (isinstance(node, Agg) and node.fn == "count")


class Lowerer:
    """Builds SQLGlot nodes for the expressions, aggregates and relations of one plan."""

    def __init__(self, ctx: Context, plan: Plan) -> None:
        self.ctx = ctx
        self.dialect = ctx.dialect
        self.plan = plan
        self.slots: dict[str, Slot] = {TENANT_PARAM: Slot(TENANT_PARAM, "tenant")}
        self.consts: dict[tuple[Any, str], str] = {}

    # --- values -----------------------------------------------------------------------------------
    def ph(self, slot: Slot) -> exp.Placeholder:
        """A named parameter; on ClickHouse it states its type (``{name:Type}``), which the server parses
        the value as."""
        self.slots.setdefault(slot.name, slot)
        if self.dialect == "clickhouse":
            return exp.Placeholder(this=slot.name, kind=placeholder_type(slot))
        return exp.Placeholder(this=slot.name)

    def const(self, value: Any, typ: str) -> exp.Expression:
        name = self.consts.get((value, typ))
        if name is None:
            name = self.consts[(value, typ)] = f"c{len(self.consts)}"
        return self.ph(Slot(name, "const", value, type=typ))

    def tenant_eq(self, scan: Scan) -> list[exp.Expression]:
        if not scan.scoped:
            return []
        return [exp.EQ(this=col(scan.alias, scan.tenant_column), expression=self.ph(Slot(TENANT_PARAM, "tenant")))]

    # --- expressions ------------------------------------------------------------------------------
    def expr(self, node: Node, tree: JoinTree, group: bool = False) -> exp.Expression:
        kind = type(node).__name__.lower()
        method = getattr(self, f"_lower_{kind}", None)
        if method is None:
            raise QueryError(f"cannot lower {kind} for {self.dialect}", code="Q100", span=node.span)
        return method(node, tree, group)  # type: ignore[no-any-return]

    def _lower_col(self, node: Col, tree: JoinTree, group: bool) -> exp.Expression:
        f = node.field
        ref = col(tree.alias(node.hops), f.column)
        if f.json_key is None:
            if self.dialect == "clickhouse" and f.type == "timestamp":
                # Stored as instants; read in the tenant's zone, as the other engines' session zone does.
                return fn("toTimeZone", ref, self.ph(Slot("tz", "time_zone")))
            return ref
        key = self.const(f.json_key, "string")
        if self.dialect == "clickhouse":  # JSON text: JSONExtract(json, key, 'Type') (the type a parameter too)
            if f.type == "list":  # an array cannot be nullable: a missing document reads as no elements
                text = fn("ifNull", ref, self.const("{}", "string"))
                return fn("JSONExtract", text, key, self.const("Array(String)", "string"))
            raw_ch = fn("JSONExtract", ref, key, self.const("Nullable(String)", "string"))
            return raw_ch if f.type == "string" else cast(raw_ch, f.type)
        if f.type == "list":  # JSON array of text: jsonb on Postgres, VARCHAR[] on DuckDB
            value = exp.JSONExtract(this=ref, expression=key)
            return value if self.dialect == "postgres" else exp.Cast(this=value, to=exp.DataType.build("VARCHAR[]"))
        raw = exp.JSONExtractScalar(this=ref, expression=key)
        return raw if f.type == "string" else cast(raw, f.type)

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
        if self.dialect == "clickhouse":  # INTERVAL {n:Int64} DAY: the amount is the parameter, the unit SQL
            source = ("param", amount.name) if isinstance(amount, Par) else ("literal", amount.slot)
            if isinstance(amount, Const) and amount.slot is None:
                count = self.const(amount.value, "int")
            else:
                name = f"iv_{amount.name}_{node.unit}" if isinstance(amount, Par) else f"iv{amount.slot}"
                count = self.ph(Slot(name, "interval", source, node.unit, type="int"))
            return exp.Interval(this=count, unit=exp.Var(this=node.unit.upper()))
        if isinstance(amount, Par):
            slot = Slot(f"iv_{amount.name}_{node.unit}", "interval", ("param", amount.name), node.unit)
        elif amount.slot is not None:
            slot = Slot(f"iv{amount.slot}", "interval", ("literal", amount.slot), node.unit)
        else:
            return cast(self.const(f"{amount.value} {node.unit}", "string"), "interval")
        return cast(self.ph(slot), "interval")

    def _lower_relref(self, node: RelRef, tree: JoinTree, group: bool) -> exp.Expression:
        raise QueryError("a relation is not a value", code="Q106", span=node.span)

    def _lower_win(self, node: Win, tree: JoinTree, group: bool) -> exp.Expression:
        args = [self.expr(a, tree, group) for a in node.args]
        keys = [self.ordered(self.expr(o, tree, group), d, may_be_null(o)) for o, d in node.order]
        order = exp.Order(expressions=keys)
        part = [self.expr(k, tree, group) for k in node.partition] or None
        if node.fn in ("rank", "dense_rank", "row_number"):
            return exp.Window(this=fn(node.fn.upper()), partition_by=part, order=order)
        if node.fn in ("lag", "lead"):  # the offset says int: Postgres has lag(anyelement, integer) only
            offset = exp.Cast(this=args[1], to=exp.DataType.build("INT")) if len(args) > 1 else None
            shift = (exp.Lag if node.fn == "lag" else exp.Lead)(this=args[0], offset=offset)
            return exp.Window(this=shift, partition_by=part, order=order)
        if node.fn == "running_total":
            spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
            return exp.Window(this=exp.Sum(this=args[0]), partition_by=part, order=order, spec=spec)
        if node.fn == "percent_of_total":
            total = exp.Window(this=exp.Sum(this=args[0].copy()), partition_by=part)
            return exp.Div(this=cast(args[0], "number"),
                           expression=exp.Nullif(this=total, expression=self.const(0, "int")))  # fmt: skip
        raise QueryError(f"cannot lower window {node.fn} for {self.dialect}", code="Q105", span=node.span)

    def _lower_total(self, node: Total, tree: JoinTree, group: bool) -> exp.Expression:
        """``all(…)``: a scalar subquery lowered from the total's own plan (tenant predicate in its WHERE, each
        join's in its ON, as everywhere), with the query's earlier row filters; computed once, not per row.
        It shares this statement's placeholders."""
        plan = self.plan.totals[node]
        sub = Lowerer(self.ctx, plan)
        sub.slots, sub.consts = self.slots, self.consts
        main = plan.main
        value = sub.expr(node.value, main, True)
        conds = sub.tenant_eq(main.root) + [sub.expr(f, main) for f in node.filters]
        sel = exp.Select(expressions=[value])
        sel.set("from_", exp.From(this=sub.table(main.root)))
        sel.set("joins", (sub.joins(main) + [sub.branch_select(b) for b in plan.branches.values()]) or None)
        if conds:
            sel.set("where", exp.Where(this=and_(conds)))
        return exp.Subquery(this=sel)

    def _lower_fn(self, node: Fn, tree: JoinTree, group: bool) -> exp.Expression:
        build = SCALARS.get(node.name)
        if build is None:
            raise QueryError(f"cannot lower function {node.name}() for {self.dialect}", code="Q105", span=node.span)
        return build(self, node, [self.expr(x, tree, group) for x in node.args])

    def ordered(self, e: exp.Expression, desc: bool, nullable: bool = True) -> exp.Ordered:
        """Nulls last in both directions, on both engines (their defaults differ). A key that is never null
        keeps the engine's default null order, so a descending sort matches a backward index scan, as
        hand-written SQL does (``DESC NULLS LAST`` would force Postgres to sort the whole set)."""
        nulls_first = False if nullable else (desc and self.dialect == "postgres")
        return exp.Ordered(this=e, desc=desc, nulls_first=nulls_first)

    # --- aggregates -------------------------------------------------------------------------------
    def agg_sql(self, name: str, arg: exp.Expression | None, extra: list[exp.Expression]) -> exp.Expression:
        """One aggregate over the rows of the current SELECT (see ``_AGGREGATES``)."""
        build = _AGGREGATES.get(name)
        if build is None:
            raise QueryError(f"cannot lower aggregate {name}() for {self.dialect}", code="Q105")
        return build(self, arg, extra)

    def signed(self, name: str, value: exp.Expression) -> exp.Expression:
        """Counts as signed integers on ClickHouse (its ``count`` is UInt64, which has no common type with
        the Int64 a bound zero or other count is), as they are on Postgres and DuckDB."""
        if self.dialect == "clickhouse" and name in ("count", "count_distinct", "count_true"):
            return fn("toInt64", value)
        return value

    def _lower_agg(self, node: Agg, tree: JoinTree, group: bool) -> exp.Expression:
        if node in self.plan.exists and not group:
            return self.exists(node)
        if not node.grain:
            arg = self.expr(node.arg, tree) if node.arg is not None else None
            value = self.agg_sql(node.fn, arg, [self.expr(x, tree) for x in node.extra])
            value = value if node.where is None else filtered(self.dialect, value, self.expr(node.where, tree))
            return self.signed(node.fn, value)
        branch = self.plan.branches[self.plan.branch_key(node)]
        return self.combine(node, branch) if group else self.per_row(node, branch)

    def per_row(self, node: Agg, branch: Branch) -> exp.Expression:
        """A relation aggregate as one value per row of the query's entity: the branch's partial."""
        if node.fn == "any":
            if node.where is None or node.where == branch.common_where:  # some (matching) row joined
                return exp.Not(this=exp.Is(this=col(branch.alias, "k"), expression=exp.Null()))
            matches = col(branch.alias, branch.part("count", None, (), node.where))
            zero = self.const(0, "int")
            return exp.GT(this=exp.Coalesce(this=matches, expressions=[zero]), expression=zero.copy())
        part = col(branch.alias, branch.part(node.fn, node.arg, node.extra, node.where))
        return exp.Coalesce(this=part, expressions=[self.const(0, "int")]) if node.fn == "count" else part

    def combine(self, node: Agg, branch: Branch) -> exp.Expression:
        """A relation aggregate over a group: combine the branch's per-row partials (no fan-out)."""
        b, w = branch.alias, node.where
        if node.fn == "any":
            return self.agg_sql("bool_or", self.per_row(node, branch), [])
        combine = {"count": exp.Sum, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}.get(node.fn)
        if combine is not None:
            out = typing.cast(exp.Expression, combine(this=col(b, branch.part(node.fn, node.arg, (), w))))
            return exp.Coalesce(this=out, expressions=[self.const(0, "int")]) if node.fn == "count" else out
        num = "sum" if node.fn == "avg" else "count_true"  # avg: sum / count; rate: trues / non-nulls
        top = exp.Sum(this=col(b, branch.part(num, node.arg, (), w)))
        den = exp.Sum(this=col(b, branch.part("count", node.arg, (), w)))
        return exp.Div(this=cast(top, "number"), expression=exp.Nullif(this=den, expression=self.const(0, "int")))

    def exists(self, node: Agg) -> exp.Expression:
        e = self.plan.exists[node]
        sub = self.scan_select(e.tree, [exp.Star()], e.where)
        first = e.tree.prefix[-1]
        outer = self.plan.main.alias(e.anchor)
        link = _every([exp.EQ(this=col(e.tree.root.alias, r), expression=col(outer, left)) for left, r in _keys(first)])
        current = sub.args.get("where")  # none only when a pass left the scan unscoped: verify refuses it
        sub.set("where", exp.Where(this=link if current is None else exp.And(this=current.this, expression=link)))
        return exp.Exists(this=sub)

    # --- relations --------------------------------------------------------------------------------
    def joins(self, tree: JoinTree) -> list[exp.Join]:
        out = []
        for join in tree.joins.values():
            link = _every([exp.EQ(this=col(join.scan.alias, r), expression=col(join.parent, left))
                           for left, r in _keys(join.hop)])  # fmt: skip
            seat = [exp.EQ(this=col(join.scan.alias, c), expression=self.const(v, "string")) for c, v in join.hop.when]
            on = [*self.tenant_eq(join.scan), link, *seat]
            out.append(exp.Join(this=self.table(join.scan), on=and_(on), kind=None if join.inner else "LEFT"))
        return out

    @staticmethod
    def table(scan: Scan) -> exp.Table:
        return exp.Table(this=exp.Identifier(this=scan.table, quoted=False),
                         alias=exp.TableAlias(this=exp.Identifier(this=scan.alias, quoted=False)))  # fmt: skip

    def scan_select(self, tree: JoinTree, columns: list[exp.Expr], where: Node | None) -> exp.Select:
        conds = self.tenant_eq(tree.root)
        if where is not None:
            conds.append(self.expr(where, tree))
        sel = exp.Select(expressions=columns)
        sel.set("from_", exp.From(this=self.table(tree.root)))
        sel.set("joins", self.joins(tree) or None)
        if conds:
            sel.set("where", exp.Where(this=and_(conds)))
        return sel

    def branch_select(self, branch: Branch) -> exp.Join:
        tree = branch.tree
        first: Hop = tree.prefix[-1]
        pairs = _keys(first)  # the branch's key: k, then k1, k2 … for a composite one
        keys = [col(tree.root.alias, r) for _, r in pairs]
        names = ["k", *(f"k{i}" for i in range(1, len(pairs)))]
        cols: list[exp.Expr] = [exp.alias_(k, n, copy=False) for k, n in zip(keys, names, strict=True)]
        common = branch.common_where
        for (agg, arg, extra, where), name in branch.parts.items():
            value = self.agg_sql(
                agg, self.expr(arg, tree) if arg is not None else None, [self.expr(x, tree) for x in extra]
            )
            if where is not None and where != common:
                value = filtered(self.dialect, value, self.expr(where, tree))
            value = self.signed(agg, value)
            cols.append(exp.alias_(value, name, copy=False))
        sub = self.scan_select(tree, cols, common)
        sub.set("group", exp.Group(expressions=[k.copy() for k in keys]))
        anchor = self.plan.main.alias(branch.anchor)
        on = _every([exp.EQ(this=col(branch.alias, n), expression=col(anchor, left))
                     for n, (left, _) in zip(names, pairs, strict=True)])  # fmt: skip
        alias = exp.TableAlias(this=exp.Identifier(this=branch.alias, quoted=False))
        if tree.outer is None:
            return exp.Join(this=exp.Subquery(this=sub, alias=alias), on=on, kind="LEFT")
        if self.dialect == "clickhouse":
            raise QueryError(
                "ClickHouse cannot run a relation aggregate that reads the outer row (it needs a lateral join)",
                code="Q105", hint="compare with a constant instead of outer.…, or run it on postgres or duckdb",
            )  # fmt: skip
        # Reads the outer row: a LATERAL subquery, correlated on the join key so each row aggregates only its
        # own related rows (an index lookup per row, not every related row of the tenant per row).
        own = _every([exp.EQ(this=k.copy(), expression=col(anchor, a)) for k, (a, _) in zip(keys, pairs, strict=True)])
        current = sub.args.get("where")
        sub.set("where", exp.Where(this=own if current is None else exp.And(this=current.this, expression=own)))
        return exp.Join(this=exp.Lateral(this=exp.Subquery(this=sub), alias=alias), on=on, kind="LEFT")


def _every(conds: list[exp.Expression]) -> exp.Expression:
    """``a AND b AND …`` of at least one condition."""
    out = conds[0]
    for cond in conds[1:]:
        out = exp.And(this=out, expression=cond)
    return out


def _keys(hop: Hop) -> list[tuple[str, str]]:
    """The (left, right) column pairs a hop joins on: its key, then a composite key's other columns."""
    return [(hop.left_col, hop.right_col), *hop.also]


AggBuilder = Callable[[Lowerer, exp.Expression | None, list[exp.Expression]], exp.Expression]


def _rate(lw: Lowerer, arg: exp.Expression | None, extra: list[exp.Expression]) -> exp.Expression:
    # true ─► 1, false ─► 0, null ─► excluded from the denominator
    if arg is None:
        raise InternalCompilerError("an aggregate that needs an argument got none")
    one, zero = lw.const(1.0, "number"), lw.const(0.0, "number")
    negated = exp.Not(this=exp.Paren(this=arg.copy()))
    return exp.Avg(this=exp.Case(ifs=[exp.If(this=arg, true=one), exp.If(this=negated, true=zero)]))


def _quantile(lw: Lowerer, arg: exp.Expression | None, q: exp.Expression) -> exp.Expression:
    if arg is None:
        raise InternalCompilerError("an aggregate that needs an argument got none")
    if lw.dialect == "duckdb":
        return fn("QUANTILE_CONT", arg, q)
    if lw.dialect == "clickhouse":  # exact and interpolated, as PERCENTILE_CONT
        return exp.ParameterizedAgg(this="quantileExactInclusive", expressions=[q], params=[arg])
    # PERCENTILE_CONT ignores nulls; saying so in a FILTER spares the aggregate a call per null row (a median
    # of days to hire over every application of a tenant: 75 -> 62 ms at 276k applications, 4k of them hired).
    within = exp.WithinGroup(this=fn("PERCENTILE_CONT", q), expression=exp.Order(expressions=[exp.Ordered(this=arg)]))
    present = exp.Not(this=exp.Is(this=arg.copy(), expression=exp.Null()))
    return exp.Filter(this=within, expression=exp.Where(this=present))


_AGGREGATES: dict[str, AggBuilder] = {
    "count": lambda lw, a, x: exp.Count(this=a if a is not None else exp.Star()),
    "count_distinct": lambda lw, a, x: exp.Count(this=exp.Distinct(expressions=[a])),
    "count_true": lambda lw, a, x: exp.Count(this=exp.Case(ifs=[exp.If(this=a, true=exp.Boolean(this=True))])),
    "sum": lambda lw, a, x: exp.Sum(this=a),
    "avg": lambda lw, a, x: exp.Avg(this=cast(a, "number") if a is not None else None),
    "min": lambda lw, a, x: exp.Min(this=a),
    "max": lambda lw, a, x: exp.Max(this=a),
    "rate": _rate,
    "median": lambda lw, a, x: _quantile(lw, a, lw.const(0.5, "number")),
    "percentile": lambda lw, a, x: _quantile(lw, a, x[0]),
    "bool_or": lambda lw, a, x: (
        exp.Null() if a is None else exp.Max(this=a) if lw.dialect == "clickhouse" else fn("BOOL_OR", a)
    ),
}
