"""Name resolution for one expression: paths over relations, derived fields, measures, model functions,
custom fields and built-in functions, within a scope (an entity reached by hops, plus local names).

Used by the ``resolve_names`` pass; unknown names raise Q104/Q105 with suggestions drawn only from names
the caller could use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pavedroad.query import ast as qa
from pavedroad.query.aggregates import AGGREGATES
from pavedroad.query.context import Context
from pavedroad.query.errors import (
    InternalCompilerError,
    QueryError,
    QueryLimitError,
    Span,
    available,
    did_you_mean,
)
from pavedroad.query.functions import FUNCTIONS
from pavedroad.query.ir import (
    Agg,
    Col,
    Const,
    FieldRef,
    Fn,
    Hop,
    Ival,
    Node,
    Output,
    Par,
    RelRef,
    Total,
    Win,
    children,
    grain_of,
    loose_cols,
)
from pavedroad.query.model import Classification, EntityDef
from pavedroad.query.overlay import custom_fields
from pavedroad.query.ports import FieldUse

__all__ = ["Resolver", "Scope", "default_outputs", "name_of"]


@dataclass
class Scope:
    """Name lookup state while resolving one expression."""

    entity: str
    hops: tuple[Hop, ...] = ()
    names: dict[str, Node] = field(default_factory=dict)  # query derives / earlier outputs / macro params
    measures: bool = False
    grouped: bool = False  # names resolve against the aggregated result only
    # Inside ``any(rel, cond)`` / ``count(rel, cond)``: the enclosing row's scope (named with ``outer.``) and
    # the relation's name, which names the related row itself (``interviews.stage.name``).
    outer: Scope | None = None
    qualifier: str | None = None


class Resolver:
    def __init__(self, ctx: Context, slots: dict[int, int]) -> None:
        self.ctx = ctx
        self.model = ctx.model
        self.custom = custom_fields(ctx.model, ctx.schema)
        self.slots = slots
        self.depth = 0
        # What ``all()`` totals over, kept current by the stages as steps are read: the row-level names
        # (derives) and the row filters written so far.
        self.rows: dict[str, Node] = {}
        self.filters: tuple[Node, ...] = ()

    # --- visibility -------------------------------------------------------------------------------
    def visible(
        self, entity: str, name: str, classification: int, *, custom: bool = False, category: str | None = None
    ) -> bool:
        use = FieldUse(entity, name, Classification(classification), custom, category)
        return self.ctx.policy.allows(self.ctx.role, use)

    def _field_names(self, ent_name: str, scope: Scope) -> list[str]:
        ent = self.model.entities[ent_name]
        names = [n for n, f in ent.fields.items() if f.queryable and f.type != "json"
                 and self.visible(ent_name, n, Classification[f.classification])]  # fmt: skip
        names += [r for r, rel in ent.relations.items() if self.model.entities[rel.entity].queryable]
        names += list(ent.derived)
        if scope.measures:
            names += list(ent.measures)
        if not scope.hops:
            names += list(scope.names)
        if ent.custom_fields_column and self.custom.get(ent_name):
            names.append("custom")
        return names

    def unknown(self, name: str, where: str, candidates: list[str], span: Span) -> QueryError:
        guess = did_you_mean(name, candidates)
        msg = f"unknown field '{name}' on {where}"
        if guess:
            msg += f"; did you mean '{guess}'?"
        return QueryError(msg, code="Q104", span=span, hint=available(candidates, guess))

    # --- paths ------------------------------------------------------------------------------------
    def path(self, node: qa.Path, scope: Scope) -> Node:  # noqa: PLR0911 - each kind of name ends the walk its own way
        parts = node.parts
        if len(parts) == 1 and parts[0] in scope.names:
            return scope.names[parts[0]]
        if scope.grouped:
            raise QueryError(
                f"unknown field '{node.dotted}' in the aggregated result"
                + (f"; did you mean '{g}'?" if (g := did_you_mean(node.dotted, list(scope.names))) else ""),
                code="Q104",
                span=node.span,
                hint=f"after aggregate, use its outputs: {', '.join(scope.names)}",
            )
        qualified = self._qualified(node, scope)
        if qualified is not None:
            return qualified
        ent_name, hops = self._entity_of(scope), scope.hops
        for i, part in enumerate(parts):
            ent = self.model.entities[ent_name]
            last = i == len(parts) - 1
            rel = ent.relations.get(part)
            if part == ent.custom_fields_column and not last:
                return self.custom_field(ent_name, hops, parts[i + 1 :], node)
            if rel is not None and self.model.entities[rel.entity].queryable:
                hops = (*hops, self.hop(ent_name, part))
                if last:
                    if not hops[-1].many:
                        raise QueryError(
                            f"'{node.dotted}' is a relation, not a field",
                            code="Q106",
                            span=node.span,
                            hint=f"name one of its fields, e.g. '{node.dotted}.{self.model.entities[rel.entity].key}'",
                        )
                    return RelRef(hops, span=node.span)
                ent_name = rel.entity
                continue
            if not last:
                raise self.unknown(part, ent_name, self._field_names(ent_name, scope), _part_span(node, i))
            fdef = ent.fields.get(part)
            if fdef is not None and fdef.queryable and fdef.type != "json":
                ref = FieldRef(ent_name, part, ent.column_of(part), fdef.type, int(Classification[fdef.classification]),
                               fdef.nullable)  # fmt: skip
                return Col(hops, ref, span=node.span)
            if part in ent.derived:
                inner = self.model.expression(ent_name, "derived", part)
                return self.expr(_respan(inner, node.span), Scope(scope.entity, hops, {}, False), model_text=True)
            if scope.measures and part in ent.measures and not hops:
                inner = self.model.expression(ent_name, "measures", part)
                return self.expr(_respan(inner, node.span), Scope(scope.entity, hops, {}, True), model_text=True)
            raise self.unknown(part, ent_name, self._field_names(ent_name, scope), _part_span(node, i))
        raise InternalCompilerError(f"the path '{node.dotted}' resolved to nothing", span=node.span)

    def _qualified(self, node: qa.Path, scope: Scope) -> Node | None:
        """A path that says which row it reads: ``outer.x`` (the row outside the relation condition) or
        ``<relation>.x`` (the related row); None for a plain path. A plain path through a relation that both
        rows have (``stage.name`` inside ``any(interviews, …)`` from applications) is ambiguous: Q110."""
        if len(node.parts) < 2:
            return None
        head, rest = node.parts[0], node.parts[1:]
        inner_name = self._entity_of(scope)
        inner_ent = self.model.entities[inner_name]
        if head == "outer" and head not in inner_ent.relations and head not in inner_ent.fields:
            if scope.outer is None:
                raise QueryError(
                    "'outer.' names the row outside any(rel, condition) or count(rel, condition); there is none here",
                    code="Q104",
                    span=_part_span(node, 0),
                    hint=f"drop 'outer.': write {'.'.join(rest)}",
                )
            return self.path(qa.Path(rest, _tail_span(node, 1)), scope.outer)
        if scope.outer is None or scope.grouped:
            return None
        if head == scope.qualifier and head not in inner_ent.relations and head not in inner_ent.fields:
            return self.path(qa.Path(rest, _tail_span(node, 1)), replace(scope, outer=None, qualifier=None))
        outer_name = self._entity_of(scope.outer)
        outer_ent = self.model.entities[outer_name]
        if self._relation(inner_ent, head) and self._relation(outer_ent, head):
            inner_reading, outer_reading = f"{scope.qualifier}.{node.dotted}", f"outer.{node.dotted}"
            raise QueryError(
                f"'{node.dotted}' is ambiguous: both the related {inner_name} row and the outer "
                f"{outer_name} row have a '{head}'",
                code="Q110",
                span=node.span,
                hint=f"write {inner_reading} for the related row's, or {outer_reading} for the outer row's",
            )
        return None

    def _relation(self, ent: EntityDef, name: str) -> bool:
        rel = ent.relations.get(name)
        return rel is not None and self.model.entities[rel.entity].queryable

    def custom_field(self, ent_name: str, hops: tuple[Hop, ...], rest: tuple[str, ...], node: qa.Path) -> Col:
        fields = self.custom.get(ent_name, {})
        visible = [
            k for k, f in fields.items()
            if self.visible(ent_name, f.name, f.classification, custom=True, category=f.category)
        ]  # fmt: skip
        key = rest[0]
        if len(rest) != 1 or key not in visible:
            raise self.unknown(f"custom.{'.'.join(rest)}", ent_name, [f"custom.{k}" for k in visible], node.span)
        return Col(hops, fields[key], span=node.span)

    def hop(self, ent_name: str, rel_name: str) -> Hop:
        ent = self.model.entities[ent_name]
        rel = ent.relations[rel_name]
        target = self.model.entities[rel.entity]
        if rel.cardinality == "many_to_one":
            left, right = ent.column_of(rel.foreign_key), target.column_of(rel.references or target.key)
        else:
            left, right = ent.column_of(rel.references or ent.key), target.column_of(rel.foreign_key)
        when = tuple((target.column_of(k), v) for k, v in rel.when.items())
        if rel.cardinality == "many_to_one":
            also = tuple((ent.column_of(fk), target.column_of(ref)) for fk, ref in rel.also.items())
        else:
            also = tuple((ent.column_of(ref), target.column_of(fk)) for fk, ref in rel.also.items())
        return Hop(rel_name, ent_name, rel.entity, target.table, target.tenant_column, left, right,
                   rel.cardinality == "one_to_many", rel.required, when, also)  # fmt: skip

    # --- expressions ------------------------------------------------------------------------------
    def expr(self, node: qa.Expr, scope: Scope, *, model_text: bool = False) -> Node:
        self.depth += 1
        if self.depth > self.ctx.limits.max_depth:
            raise QueryLimitError(
                f"the query nests deeper than {self.ctx.limits.max_depth} levels",
                code="Q402",
                span=node.span,
                hint="split the expression with derive steps",
            )
        try:
            return self._expr(node, scope, model_text)
        finally:
            self.depth -= 1

    def _expr(self, node: qa.Expr, scope: Scope, model_text: bool) -> Node:  # noqa: PLR0911, PLR0912 - one case per AST node
        if isinstance(node, qa.Lit):
            slot = None if model_text else self.slots.get(id(node))
            return Const(node.value, None, slot, span=node.span)
        if isinstance(node, qa.Param):
            return Par(node.name, span=node.span)
        if isinstance(node, qa.Path):
            return self.path(node, scope)
        if isinstance(node, qa.BinOp):
            return Fn(node.op, (self.expr(node.left, scope, model_text=model_text),
                                self.expr(node.right, scope, model_text=model_text)), span=node.span)  # fmt: skip
        if isinstance(node, qa.Unary):
            return Fn("not" if node.op == "not" else "neg",
                      (self.expr(node.operand, scope, model_text=model_text),), span=node.span)  # fmt: skip
        if isinstance(node, qa.In):
            args = tuple(self.expr(x, scope, model_text=model_text) for x in (node.expr, *node.items))
            return Fn("not_in" if node.negated else "in", args, span=node.span)
        if isinstance(node, qa.Between):
            args = tuple(self.expr(x, scope, model_text=model_text) for x in (node.expr, node.low, node.high))
            return Fn("not_between" if node.negated else "between", args, span=node.span)
        if isinstance(node, qa.IsNull):
            return Fn("is_not_null" if node.negated else "is_null",
                      (self.expr(node.expr, scope, model_text=model_text),), span=node.span)  # fmt: skip
        if isinstance(node, qa.Case):
            parts: list[Node] = []
            for cond, val in node.whens:
                parts += [self.expr(cond, scope, model_text=model_text), self.expr(val, scope, model_text=model_text)]
            if node.default is not None:
                parts.append(self.expr(node.default, scope, model_text=model_text))
            return Fn("case" if node.default is not None else "case_noelse", tuple(parts), span=node.span)
        if isinstance(node, qa.Interval):
            amount = self.expr(node.amount, scope, model_text=model_text)
            if not isinstance(amount, Const | Par):
                raise QueryError("an interval amount is a number or a $parameter", code="Q201", span=node.span,
                                 hint="e.g. 30 days or $n days")  # fmt: skip
            return Ival(amount, node.unit, span=node.span)
        if isinstance(node, qa.Call):
            return self.call(node, scope, model_text)
        raise QueryError(f"'{type(node).__name__}' is not an expression", code="Q201", span=getattr(node, "span", None),
                         hint="build expressions from pavedroad.query.ast nodes or the text form")  # fmt: skip

    def call(self, node: qa.Call, scope: Scope, model_text: bool) -> Node:
        ent_name = self._entity_of(scope)
        ent = self.model.entities[ent_name]
        macro = ent.functions.get(node.name) if not scope.grouped else None
        if macro is not None:
            if len(node.args) != len(macro.params):
                raise QueryError(
                    f"{node.name}() takes {len(macro.params)} argument(s), got {len(node.args)}",
                    code="Q202",
                    span=node.span,
                    hint=f"{node.name}({', '.join(macro.params)}): {macro.description}",
                )
            bound = {
                p: self.expr(a, scope, model_text=model_text) for p, a in zip(macro.params, node.args, strict=True)
            }
            body = self.model.expression(ent_name, "functions", node.name)
            return self.expr(_respan(body, node.span), Scope(scope.entity, scope.hops, bound, scope.measures),
                             model_text=True)  # fmt: skip
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            names = list(FUNCTIONS) + list(ent.functions)
            guess = did_you_mean(node.name, names)
            raise QueryError(
                f"unknown function '{node.name}'" + (f"; did you mean '{guess}'?" if guess else ""),
                code="Q105",
                span=node.span,
                hint="see docs/query.md for the function list",
            )
        if not spec.min_args <= len(node.args) <= spec.max_args:
            want = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args}–{spec.max_args}"
            raise QueryError(
                f"{node.name}() takes {want} argument(s), got {len(node.args)}",
                code="Q202",
                span=node.span,
                hint=f"{node.name}: {spec.doc}",
            )
        if spec.kind == "agg":
            return self.aggregate(node, scope, model_text)
        if spec.kind == "window":
            return self.window(node, scope, model_text)
        if spec.kind == "partition":
            raise QueryError("partition(…) is the last argument of a window function", code="Q201", span=node.span,
                             hint="e.g. rank(-applications, partition(source_kind))")  # fmt: skip
        if spec.kind == "total":
            return self.total(node, scope, model_text)
        args = tuple(self.expr(a, scope, model_text=model_text) for a in node.args)
        return Fn(node.name, args, span=node.span)

    def window(self, node: qa.Call, scope: Scope, model_text: bool) -> Win:
        """A window function: its values, its order (``-x`` descending) and, as its last argument, the optional
        ``partition(k, …)`` whose rows it runs within."""
        *plain, last = node.args
        keys: tuple[qa.Expr, ...] = ()
        if isinstance(last, qa.Call) and last.name == "partition":
            keys = last.args
        else:
            plain.append(last)
        if any(isinstance(a, qa.Call) and a.name == "partition" for a in plain) or len(plain) > _WINDOW_ARGS[node.name]:
            raise QueryError(f"{node.name}() takes its values, its order and then partition(…)", code="Q202",
                             span=node.span, hint=f"{node.name}: {FUNCTIONS[node.name].doc}")  # fmt: skip
        args = [self.expr(a, scope, model_text=model_text) for a in plain]
        partition = tuple(self.expr(k, scope, model_text=model_text) for k in keys)
        at = {"percent_of_total": None, "lag": 1, "lead": 1}.get(node.name, len(args) - 1)
        if at is None or at >= len(args):
            return Win(node.name, tuple(args), (), partition, span=node.span)
        key = args.pop(at)
        order = (key.args[0], True) if isinstance(key, Fn) and key.name == "neg" else (key, False)
        return Win(node.name, tuple(args), (order,), partition, span=node.span)

    def total(self, node: qa.Call, scope: Scope, model_text: bool) -> Total:
        """``all(agg)``: the aggregate over the query's own rows that the earlier filters keep, whatever the
        grouping (names are the entity's fields and the row-level derives, never the group's outputs)."""
        if scope.hops or scope.outer is not None:
            raise QueryError(
                "all() totals the query's own rows; it cannot sit inside a relation aggregate",
                code="Q203",
                span=node.span,
                hint="compare with the total outside the relation's condition",
            )
        names = self.rows if scope.grouped else scope.names
        value = self.expr(node.args[0], Scope(scope.entity, (), names, measures=True), model_text=model_text)
        if not _has_aggregate(value):
            raise QueryError("all() takes an aggregate", code="Q201", span=node.span,
                             hint="total an aggregate of the value: all(avg(…)), all(count())")  # fmt: skip
        return Total(value, self.filters, span=node.span)

    def _entity_of(self, scope: Scope) -> str:
        return scope.hops[-1].target if scope.hops else scope.entity

    def aggregate(self, node: qa.Call, scope: Scope, model_text: bool) -> Agg:
        first = self.expr(node.args[0], scope, model_text=model_text) if node.args else None
        if node.name in ("count", "any") and isinstance(first, RelRef):
            where = None
            if len(node.args) == 2:
                names = dict(scope.names) if model_text else {}
                inner = Scope(scope.entity, first.hops, names, False, outer=scope, qualifier=first.hops[-1].relation)
                where = self.expr(node.args[1], inner, model_text=model_text)
            return Agg(node.name, None, first.hops, where, span=node.span)
        if node.name == "any":
            raise QueryError(
                f"{node.name}(rel, condition) needs a one-to-many relation first",
                code="Q106",
                span=node.span,
                hint='e.g. any(interviews, status = "completed")',
            )
        if isinstance(first, RelRef):
            raise QueryError(
                f"{node.name}() of a whole relation is not defined",
                code="Q201",
                span=node.span,
                hint="aggregate one of its fields, e.g. max(offers.salary), or count(rel)",
            )
        cut = AGGREGATES[node.name].condition or len(node.args)  # sum(x, cond): the row condition's place
        extra = tuple(self.expr(a, scope, model_text=model_text) for a in node.args[1:cut])
        where = self.expr(node.args[cut], scope, model_text=model_text) if len(node.args) > cut else None
        grain: tuple[Hop, ...] = ()
        if first is not None:
            read = loose_cols(first) + (loose_cols(where) if where is not None else [])
            grains = {grain_of(c.hops) for c in read} - {scope.hops}
            grains.discard(())
            if len(grains) > 1:
                raise QueryError(
                    f"{node.name}() mixes values from different one-to-many relations",
                    code="Q302",
                    span=node.span,
                    hint="aggregate each relation separately and combine the results",
                )
            grain = grains.pop() if grains else ()
        return Agg(node.name, first, grain, where, extra, span=node.span)


# How many values and order keys each window function takes, before its optional partition(…).
_WINDOW_ARGS = {"rank": 1, "dense_rank": 1, "row_number": 1, "running_total": 2, "percent_of_total": 1, "lag": 3,
                "lead": 3}  # fmt: skip


def _has_aggregate(node: Node) -> bool:
    return isinstance(node, Agg) or any(_has_aggregate(c) for c in children(node))


def _part_span(node: qa.Path, index: int) -> Span:
    """The span of one name in a dotted path (``stagee`` in ``stagee.name``)."""
    sp = node.span
    if sp.pointer is not None or sp.end <= sp.start:
        return sp
    offset = sum(len(p) + 1 for p in node.parts[:index])
    return Span(sp.start + offset, sp.start + offset + len(node.parts[index]), sp.line, sp.column + offset)


def _tail_span(node: qa.Path, index: int) -> Span:
    """The span of a dotted path from its ``index``-th name on (``stage.name`` in ``outer.stage.name``)."""
    sp = node.span
    if sp.pointer is not None or sp.end <= sp.start:
        return sp
    offset = sum(len(p) + 1 for p in node.parts[:index])
    return Span(sp.start + offset, sp.end, sp.line, sp.column + offset)


def _respan(node: qa.Expr, span: Span) -> qa.Expr:
    """Model expressions report errors at the query's reference to them."""
    try:
        return replace(node, span=span)
    except TypeError:  # pragma: no cover
        return node


def name_of(item: qa.Assign, index: int) -> str:
    if item.name:
        return item.name
    expr = item.expr
    if isinstance(expr, qa.Path):
        return "_".join(expr.parts)
    if isinstance(expr, qa.Call):
        return expr.name
    return f"col{index}"


def default_outputs(ent_name: str, ent: EntityDef, res: Resolver) -> list[Output]:
    names = ent.default_fields or [n for n, f in ent.fields.items() if f.queryable and f.type != "json"]
    out = []
    for n in names:
        node = res.path(qa.Path((n,)), Scope(ent_name))
        out.append(Output(n, node))
    return out
