"""Every expression has a type, operands fit their operators and functions, predicates are boolean,
every ``$param`` has a known type, and aggregates and windows appear only where they mean something.

Rules: outside ``aggregate``, an aggregate must run over a one-to-many relation (``count(interviews)``);
inside it, one-to-many aggregates must be decomposable (count, sum, min, max, avg, rate, any) because
each branch is aggregated before joining; windows only in derive/select/sort.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pavedroad.query.aggregates import AGGREGATES
from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, Span
from pavedroad.query.functions import FUNCTIONS
from pavedroad.query.ir import Agg, Col, Const, Fn, Ival, Node, Output, Par, RelRef, Resolved, Total, Win

__all__ = ["check_types"]

NUMERIC = {"int", "number"}
TEMPORAL = {"date", "timestamp"}
_CMP = {"=", "!=", "<", "<=", ">", ">="}
CALENDAR_UNITS = {"day", "week", "month", "quarter", "year"}  # a date moved by these stays a date


def _compatible(a: str, b: str) -> bool:
    if a == b or "null" in (a, b) or {a, b} <= NUMERIC or {a, b} <= TEMPORAL:
        return True
    return "string" in (a, b) and bool({a, b} & TEMPORAL)  # ISO text against a date or timestamp


def _type(node: Node) -> str:
    """The type ``_Checker.t`` gave ``node``; every typed node has one (an internal error otherwise)."""
    if not node.type:
        raise InternalCompilerError(f"a {type(node).__name__} left check_types without a type", span=node.span)
    return node.type


def _const_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    return "string"


def _shifted(instant: Node, interval: Node, want: str | None) -> str:
    """A date moved by whole days, weeks, months, quarters or years is a date (``date "1998-12-01" - 90 days``),
    unless the context wants a timestamp (``applied_at >= today() - 90 days`` compares instants); anything
    else moved by an interval is a timestamp."""
    calendar = isinstance(interval, Ival) and interval.unit in CALENDAR_UNITS
    return "date" if instant.type == "date" and calendar and want != "timestamp" else "timestamp"


def _temporal_text(node: Node, other: str | None) -> Node:
    """A lifted text literal compared with a date or timestamp takes that type, so the binder parses it
    before it is sent (a value Postgres cannot cast never reaches the server, nor its log)."""
    if isinstance(node, Const) and node.type == "string" and node.slot is not None and other in TEMPORAL:
        return Const(node.value, other, node.slot, node.span)
    return node


class _Checker:
    def __init__(self, ctx: Context) -> None:
        self.params: dict[str, str] = dict(ctx.param_types)

    def fail(self, msg: str, span: Span, hint: str | None = None, code: str = "Q201") -> QueryError:
        return QueryError(msg, code=code, span=span, hint=hint)

    def t(self, node: Node, want: str | None = None) -> Node:  # noqa: PLR0911, PLR0912
        if isinstance(node, Col):  # the hot cases build the node directly (dataclasses.replace is slow)
            return Col(node.hops, node.field, node.field.type, node.span)
        if isinstance(node, Const):
            return Const(node.value, _const_type(node.value), node.slot, node.span)
        if isinstance(node, Par):
            known = self.params.get(node.name)
            if known is None and want is not None and want != "null":
                self.params[node.name] = known = want
            if known is None:
                hint = f"compare it with a field, or declare it: param_types={{'{node.name}': 'int'}}"
                raise self.fail(f"cannot tell the type of ${node.name}", node.span, hint)
            return replace(node, type=known)
        if isinstance(node, Ival):
            amount = self.t(node.amount, "int")
            if amount.type not in NUMERIC:
                raise self.fail("an interval amount must be a number", node.span)
            return replace(node, amount=amount)  # type: ignore[arg-type]
        if isinstance(node, RelRef):
            raise self.fail("a relation is not a value here", node.span,
                            "use count(rel), any(rel, cond) or one of its fields", code="Q106")  # fmt: skip
        if isinstance(node, Fn):
            return self.fn(node, want)
        if isinstance(node, Agg):
            return self.agg(node)
        if isinstance(node, Total):
            return self.total(node)
        if isinstance(node, Win):
            args = tuple(self.t(a) for a in node.args)
            order = tuple((self.t(o), d) for o, d in node.order)
            typ = FUNCTIONS[node.fn].result
            if typ == "numeric":
                typ = args[0].type or "number"
                self.need(args[0], NUMERIC, node.fn)
            if node.fn == "percent_of_total":
                self.need(args[0], NUMERIC, node.fn)
            if typ == "arg0":  # lag, lead: the value's type; the offset a whole number
                typ = args[0].type or "null"
                args = (args[0], *(self.t(a, "int") for a in node.args[1:]))
                for a in args[1:]:
                    if not isinstance(a, Const | Par) or a.type != "int":
                        raise self.fail(
                            f"{node.fn}() counts rows with a whole number", a.span, f"e.g. {node.fn}(x, month, 2)"
                        )
            partition = tuple(self.t(k) for k in node.partition)
            return replace(node, args=args, order=order, partition=partition, type=typ)
        raise InternalCompilerError(f"check_types has no rule for {type(node).__name__}", span=node.span)

    def need(self, node: Node, types: set[str], what: str) -> None:
        if node.type not in types and node.type != "null":
            raise self.fail(f"{what} needs {' or '.join(sorted(types))}, got {node.type}", node.span)

    def pair(self, a: Node, b: Node) -> tuple[Node, Node]:
        if isinstance(a, Par) and not isinstance(b, Par):
            b = self.t(b)
            return self.t(a, b.type), b
        a = self.t(a)
        return a, self.t(b, a.type)

    def fn(self, node: Fn, want: str | None = None) -> Node:  # noqa: PLR0911, PLR0912
        name, args = node.name, node.args
        if name in _CMP:
            a, b = self.pair(*args)
            if not _compatible(_type(a), _type(b)):
                raise self.fail(f"cannot compare {a.type} with {b.type}", node.span)
            return replace(node, args=(_temporal_text(a, b.type), _temporal_text(b, a.type)), type="bool")
        if name in ("and", "or", "not"):
            typed = tuple(self.t(a, "bool") for a in args)
            for a in typed:
                self.need(a, {"bool"}, f"'{name}'")
            return replace(node, args=typed, type="bool")
        if name == "like":
            a, b = self.pair(*args)
            self.need(a, {"string"}, "like")
            self.need(b, {"string"}, "like")
            return replace(node, args=(a, b), type="bool")
        if name in ("in", "not_in", "between", "not_between"):
            first = self.t(args[0])
            rest = tuple(self.t(x, first.type) for x in args[1:])
            for x in rest:
                if not _compatible(_type(first), _type(x)):
                    raise self.fail(f"cannot compare {first.type} with {x.type}", x.span)
            rest = tuple(_temporal_text(x, first.type) for x in rest)
            return replace(node, args=(first, *rest), type="bool")
        if name in ("is_null", "is_not_null"):
            return replace(node, args=(self.t(args[0]),), type="bool")
        if name == "neg":
            a = self.t(args[0], "number")
            self.need(a, NUMERIC, "'-'")
            return replace(node, args=(a,), type=a.type)
        if name in ("+", "-", "*", "/", "%"):
            return self.arith(node, want)
        if name in ("case", "case_noelse"):
            cased: list[Node] = list(args)
            for i in range(0, len(args) - (len(args) % 2), 2):
                cased[i] = self.t(args[i], "bool")
                self.need(cased[i], {"bool"}, "case when")
            values = list(range(1, len(args), 2)) + ([len(args) - 1] if len(args) % 2 else [])
            typ = "null"
            for i in values:
                cased[i] = self.t(args[i], None if typ == "null" else typ)
                vt = _type(cased[i])
                if not _compatible(typ, vt):
                    raise self.fail(f"case branches disagree: {typ} and {vt}", cased[i].span)
                typ = vt if typ in ("null", "int") else typ
            return replace(node, args=tuple(cased), type=typ)
        return self.scalar(node)

    def arith(self, node: Fn, want: str | None = None) -> Node:
        a, b = self.pair(*self._instant_params(node, want))
        ta, tb = a.type, b.type
        if node.name in ("+", "-") and ta in TEMPORAL and tb == "interval":
            return replace(node, args=(a, b), type=_shifted(a, b, want))
        if node.name == "+" and ta == "interval" and tb in TEMPORAL:
            return replace(node, args=(a, b), type=_shifted(b, a, want))
        for x in (a, b):
            self.need(x, NUMERIC, f"'{node.name}'")
        typ = "int" if ta == tb == "int" and node.name != "/" else "number"
        return replace(node, args=(a, b), type=typ)

    def _instant_params(self, node: Fn, want: str | None) -> tuple[Node, ...]:
        """``$d ± 90 days``: a parameter beside an interval is the instant it shifts, a date or timestamp (the
        type the context wants, else timestamp), never an interval itself."""
        args = node.args
        if node.name not in ("+", "-") or not any(isinstance(x, Ival) for x in args):
            return args
        instant = want if want in TEMPORAL else "timestamp"
        return tuple(self.t(x, instant) if isinstance(x, Par) else x for x in args)

    def scalar(self, node: Fn) -> Node:  # noqa: PLR0912 - one branch per argument-type family, read top to bottom
        spec = FUNCTIONS[node.name]
        name = node.name
        if name in ("days_between",):
            args = tuple(self.t(a, "timestamp") for a in node.args)
            for a in args:
                self.need(a, TEMPORAL, f"{name}()")
        elif name == "date" and isinstance(node.args[0], Const) and isinstance(node.args[0].value, str):
            return self.date_literal(node, node.args[0])
        elif name == "substring":
            args = (self.t(node.args[0], "string"), *(self.t(a, "int") for a in node.args[1:]))
            self.need(args[0], {"string"}, "substring()")
            for a in args[1:]:
                self.need(a, {"int"}, "substring() start and length")
        elif name in ("date", "day", "week", "month", "quarter", "year", "year_of", "quarter_of", "month_of"):
            args = (self.t(node.args[0], "timestamp"),)
            self.need(args[0], TEMPORAL, f"{name}()")
        elif name == "contains":
            args = (self.t(node.args[0]), self.t(node.args[1], "string"))
            self.need(args[0], {"list"}, "contains()")
            self.need(args[1], {"string"}, "contains()")
        elif name in ("lower", "upper", "length", "trim", "concat", "starts_with"):
            args = tuple(self.t(a, "string") for a in node.args)
            for a in args:
                self.need(a, {"string"}, f"{name}()")
        elif name in ("abs", "round", "floor", "ceil"):
            args = (self.t(node.args[0], "number"),)
            self.need(args[0], NUMERIC, f"{name}()")
        elif name == "if":
            cond = self.t(node.args[0], "bool")
            self.need(cond, {"bool"}, "if()")
            a, b = self.pair(node.args[1], node.args[2])
            args = (cond, a, b)
        elif not node.args:  # today(), now()
            args = ()
        else:  # coalesce, nullif: all arguments one type
            first = self.t(node.args[0])
            args = (first, *(self.t(a, first.type) for a in node.args[1:]))
            for a in args[1:]:
                if not _compatible(_type(first), _type(a)):
                    raise self.fail(f"{name}() arguments disagree: {first.type} and {a.type}", a.span)
        typ = spec.result
        if typ.startswith("arg"):
            typ = args[int(typ[3:])].type or "null"
            if typ == "null":
                typ = next((a.type for a in args if a.type not in (None, "null")), "null")
        return replace(node, args=args, type=typ)

    def total(self, node: Total) -> Node:
        """``all(…)``: aggregates of the entity's rows only (a loose field has no single value over the set);
        relation aggregates inside and relation filters before it are planned in the total's own plan."""
        value = self.t(node.value)
        _walk_aggs(value, inside_group_agg=True, ctx_name="all()", allow_window=False)
        loose = _loose_cols(value)
        if loose:
            raise QueryError(f"'{loose[0].field.name}' must be aggregated inside all()", code="Q204",
                             span=loose[0].span, hint=f"wrap it: all(avg({loose[0].field.name}))")  # fmt: skip
        filters = tuple(self.t(f, "bool") for f in node.filters)
        return replace(node, value=value, filters=filters, type=value.type)

    def date_literal(self, node: Fn, text: Const) -> Node:
        """``date "1998-12-01"``: the text is an ISO date (checked here, with its span, and again by the binder
        for each later value of the cached shape), bound as a date."""
        try:
            date.fromisoformat(str(text.value))
        except ValueError:
            raise self.fail(f"{text.value!r} is not an ISO date", text.span, 'e.g. date "2024-01-31"') from None
        return replace(node, args=(Const(text.value, "date", text.slot, text.span),), type="date")

    def agg(self, node: Agg) -> Node:
        """Arguments and result typed by the aggregate's row in ``AGGREGATES``; ``count(cond)`` with a lone
        boolean argument counts the rows where it holds (its condition), not the non-null values."""
        spec = AGGREGATES[node.fn]
        arg = self.t(node.arg) if node.arg is not None else None
        where = self.t(node.where, "bool") if node.where is not None else None
        if node.fn == "count" and where is None and arg is not None and arg.type == "bool" and not node.grain:
            arg, where = None, arg
        if where is not None and where.type not in ("bool", "null"):
            hint = f'the last argument keeps the rows where it holds, e.g. {node.fn}(…, status = "hired")'
            raise self.fail(f"{node.fn}() condition needs bool, got {where.type}", where.span, hint)
        extra = tuple(self.t(x, "number") for x in node.extra)
        if spec.arg is not None and spec.arg != "any":
            if arg is None:
                raise InternalCompilerError(f"{node.fn}() without an argument", span=node.span)
            self.need(arg, NUMERIC if spec.arg == "numeric" else {spec.arg}, f"{node.fn}()")
        typ = spec.result
        if typ == "numeric":
            typ = arg.type if arg is not None and arg.type in NUMERIC else "number"
        elif typ == "arg0":
            typ = arg.type if arg is not None and arg.type else "null"
        return replace(node, arg=arg, where=where, extra=extra, type=typ)


def _walk_aggs(node: Node, *, inside_group_agg: bool, ctx_name: str, allow_window: bool) -> None:
    """Placement rules for aggregates and windows (see module docstring)."""
    stack: list[tuple[Node, bool]] = [(node, inside_group_agg)]
    while stack:
        cur, inside = stack.pop()
        if isinstance(cur, Total):
            continue  # checked as a whole by _Checker.total
        if isinstance(cur, Win) and not allow_window:
            raise QueryError(f"a window calculation cannot be used in {ctx_name}", code="Q205", span=cur.span,
                             hint="derive it, then sort or select it")  # fmt: skip
        if isinstance(cur, Agg):
            if not cur.grain and not inside:
                raise QueryError(
                    f"{cur.fn}() aggregates rows, which {ctx_name} cannot do",
                    code="Q203",
                    span=cur.span,
                    hint="use it in an aggregate step, or over a relation: count(interviews)",
                )
            if cur.arg is not None:
                for c in _nested_aggs(cur.arg):
                    if not c.grain:
                        raise QueryError(f"{c.fn}() inside {cur.fn}() aggregates twice", code="Q203", span=c.span)
            stack.extend((c, False) for c in (cur.arg, cur.where) if c is not None)
            continue
        from pavedroad.query.ir import children

        stack.extend((c, inside) for c in children(cur))


def _nested_aggs(node: Node) -> list[Agg]:
    from pavedroad.query.ir import children

    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Agg):
            out.append(cur)
            continue
        stack.extend(children(cur))
    return out


def _loose_cols(node: Node) -> list[Col]:
    """Columns of the query's own rows read outside any aggregate."""
    from pavedroad.query.ir import children

    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Agg):
            continue
        if isinstance(cur, Col):
            out.append(cur)
        stack.extend(children(cur))
    return out


def check_types(query: QueryState, ctx: Context) -> QueryState:
    """Every expression is typed, operands fit, and aggregates/windows sit where they mean something."""
    res = query.resolved
    if res is None:
        raise InternalCompilerError("check_types ran before resolve_names")
    c = _Checker(ctx)

    def outs(items: tuple[Output, ...]) -> tuple[Output, ...]:
        return tuple(replace(o, expr=c.t(o.expr)) for o in items)

    where = tuple(c.t(w, "bool") for w in res.where)
    for w in where:
        c.need(w, {"bool"}, "where")
        _walk_aggs(w, inside_group_agg=False, ctx_name="where", allow_window=False)
    groups = outs(res.groups)
    for g in groups:
        _walk_aggs(g.expr, inside_group_agg=False, ctx_name="group", allow_window=False)
    aggs = outs(res.aggregates)
    for a in aggs:
        _walk_aggs(a.expr, inside_group_agg=True, ctx_name="aggregate", allow_window=False)
        loose = _loose_cols(a.expr)
        if loose:
            raise QueryError(
                f"'{loose[0].field.name}' must be grouped or aggregated",
                code="Q204",
                span=loose[0].span,
                hint=f"add it to the group step, or wrap it: max({loose[0].field.name})",
            )
    having = tuple(c.t(h, "bool") for h in res.having)
    for h in having:
        c.need(h, {"bool"}, "where")
        _walk_aggs(h, inside_group_agg=True, ctx_name="a filter", allow_window=False)
    outputs = outs(res.outputs)
    for o in outputs:
        _walk_aggs(o.expr, inside_group_agg=res.aggregated, ctx_name="a row-level derive or select", allow_window=True)
    sort = tuple((c.t(k), d) for k, d in res.sort)
    for k, _ in sort:
        _walk_aggs(k, inside_group_agg=res.aggregated, ctx_name="sort", allow_window=True)
    limit = c.t(res.limit, "int") if res.limit is not None else None
    page = res.page
    if page is not None:
        size = c.t(page.size, "int")
        c.need(size, {"int"}, "page size")
        page = replace(page, size=size)  # type: ignore[arg-type]
    if limit is not None:
        c.need(limit, {"int"}, "take")
    typed = Resolved(res.entity, where, res.aggregated, groups, aggs, having, outputs, sort,
                     limit, page)  # type: ignore[arg-type]  # fmt: skip
    return replace(query, resolved=typed)
