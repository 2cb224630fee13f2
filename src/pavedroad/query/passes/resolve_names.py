"""Every name in the query refers to a visible model field, relation, derived field, measure, model
function, built-in function or an earlier output; the AST becomes the staged, name-free ``Resolved``.

Steps are handled by ``_Stages.step_<kind>`` (dispatch by name); the order rules (one aggregate, take
last, group followed by aggregate) are checked here with Q301. Expression-level lookup lives in
``pavedroad.query.names``.
"""

from __future__ import annotations

from dataclasses import replace

from pavedroad.query import ast as qa
from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, Span, did_you_mean
from pavedroad.query.ir import Const, Node, Output, PageSpec, Par, Resolved
from pavedroad.query.names import Resolver, Scope, default_outputs, name_of

__all__ = ["literal_order", "resolve_names"]


def literal_order(pipeline: qa.Pipeline) -> list[qa.Lit]:
    """The query's liftable literals (strings and numbers) in source order; their index is their slot."""
    out: list[qa.Lit] = []

    def walk(node: object) -> None:
        if isinstance(node, qa.Lit):
            if node.value is not None and not isinstance(node.value, bool):
                out.append(node)
            return
        if isinstance(node, tuple):
            for item in node:
                walk(item)
            return
        slots = getattr(node, "__slots__", ())
        for name in slots:
            if name != "span":
                walk(getattr(node, name))

    walk(pipeline.steps)
    return out


class _Stages:
    """The query's stages as the steps are read: rows ─► (group, aggregate) ─► groups."""

    def __init__(self, pipe: qa.Pipeline, resolver: Resolver) -> None:
        self.pipe = pipe
        self.r = resolver
        self.row_names: dict[str, Node] = {}
        self.group_names: dict[str, Node] = {}
        self.row_derived: list[Output] = []
        self.post: list[Output] = []
        self.selected: list[Output] | None = None
        self.where: list[Node] = []
        self.having: list[Node] = []
        self.groups: list[Output] = []
        self.aggs: list[Output] = []
        self.pending_group: qa.Group | None = None
        self.aggregated = False
        self.sort: tuple[tuple[Node, bool], ...] = ()
        self.limit: Const | Par | None = None
        self.page: PageSpec | None = None

    def scope(self, *, measures: bool = False) -> Scope:
        if self.aggregated:
            return Scope(self.pipe.entity, (), self.group_names, grouped=True)
        return Scope(self.pipe.entity, (), self.row_names, measures=measures)

    def items(self, items: tuple[qa.Assign, ...], scope: Scope) -> list[Output]:
        return [Output(name_of(it, i), self.r.expr(it.expr, scope), span=it.span) for i, it in enumerate(items)]

    def read(self, step: qa.Step) -> None:
        if (self.limit is not None or self.page is not None) and not isinstance(step, qa.Select | qa.Take | qa.Page):
            raise _order(step, "steps after take/page would change which rows were taken", "put take or page last")
        if self.pending_group is not None and not isinstance(step, qa.Aggregate):
            raise _order(
                step, "group must be followed by aggregate", "e.g. | group source.name | aggregate n = count()"
            )
        self.r.rows, self.r.filters = self.row_names, tuple(self.where)  # what all() totals over
        getattr(self, f"step_{type(step).__name__.lower()}")(step)

    def step_where(self, step: qa.Where) -> None:
        (self.having if self.aggregated else self.where).append(self.r.expr(step.expr, self.scope()))

    def step_derive(self, step: qa.Derive) -> None:
        for out in self.items(step.items, self.scope()):
            if self.aggregated:
                self.group_names[out.name] = out.expr
                self.post.append(out)
            else:
                self.row_names[out.name] = out.expr
                self.row_derived.append(out)

    def step_group(self, step: qa.Group) -> None:
        if self.aggregated:
            raise _order(step, "only one group/aggregate per query", "filter groups with where instead")
        if self.sort:
            raise _order(step, "sort before group has no effect", "sort after aggregate")
        self.pending_group = step
        self.groups = self.items(step.items, self.scope())

    def step_aggregate(self, step: qa.Aggregate) -> None:
        if self.aggregated:
            raise _order(step, "only one aggregate per query", "combine the aggregates into one step")
        if self.sort:
            raise _order(step, "sort before aggregate has no effect", "sort after aggregate")
        self.pending_group = None
        self.aggs = self.items(step.items, self.scope(measures=True))
        self.aggregated = True
        self.selected = None
        for out in (*self.groups, *self.aggs):
            if out.name in self.group_names:
                raise QueryError(f"two outputs are named '{out.name}'", code="Q109", span=out.span,
                                 hint="name one of them: | aggregate other_name = ...")  # fmt: skip
            self.group_names[out.name] = out.expr

    def step_sort(self, step: qa.Sort) -> None:
        self.sort = tuple((self.r.expr(k.expr, self.scope()), k.descending) for k in step.keys)

    def step_take(self, step: qa.Take) -> None:
        limit = self.r.expr(step.count, self.scope())
        if not isinstance(limit, Const | Par):
            raise QueryError("take needs a whole number or a $parameter", code="Q201", span=step.span,
                             hint="e.g. take 50")  # fmt: skip
        self.limit = limit

    def step_select(self, step: qa.Select) -> None:
        self.selected = self.items(step.items, self.scope())
        for out in self.selected:
            (self.group_names if self.aggregated else self.row_names)[out.name] = out.expr

    def step_page(self, step: qa.Page) -> None:
        if self.aggregated:
            raise QueryError("page is for list views, not aggregated results", code="Q303", span=step.span,
                             hint="use take to limit aggregated results")  # fmt: skip
        size = self.r.expr(step.size, self.scope())
        if not isinstance(size, Const | Par):
            raise QueryError("page size needs a whole number or a $parameter", code="Q201", span=step.span,
                             hint="e.g. page size 50")  # fmt: skip
        self.page = PageSpec(size, step.after.name if step.after else None, span=step.span)

    def finish(self) -> Resolved:
        if self.pending_group is not None:
            raise _order(self.pending_group, "group must be followed by aggregate", "e.g. | aggregate n = count()")
        if self.selected is not None:
            outputs = tuple(self.selected)
        elif self.aggregated:
            outputs = (*self.groups, *self.aggs, *self.post)
        else:
            ent = self.r.model.entities[self.pipe.entity]
            outputs = (*default_outputs(self.pipe.entity, ent, self.r), *self.row_derived)
        seen: set[str] = set()
        for out in outputs:
            if out.name in seen:
                raise QueryError(f"two outputs are named '{out.name}'", code="Q109", span=out.span,
                                 hint="give one of them another name with name = expr")  # fmt: skip
            seen.add(out.name)
        return Resolved(self.pipe.entity, tuple(self.where), self.aggregated, tuple(self.groups), tuple(self.aggs),
                        tuple(self.having), outputs, self.sort, self.limit, self.page)  # fmt: skip


def _order(step: qa.Step, why: str, hint: str) -> QueryError:
    return QueryError(why, code="Q301", span=step.span, hint=hint)


def resolve_names(query: QueryState, ctx: Context) -> QueryState:
    """Every name refers to a visible model field, relation, measure, function or earlier output."""
    pipe = query.ast
    if pipe is None:
        raise InternalCompilerError("resolve_names ran before parse")
    model = ctx.model
    ent = model.entities.get(pipe.entity)
    if ent is None or not ent.queryable or not ent.root:
        names = [n for n, e in model.entities.items() if e.queryable and e.root]
        guess = did_you_mean(pipe.entity, names)
        raise QueryError(
            f"unknown entity '{pipe.entity}'" + (f"; did you mean '{guess}'?" if guess else ""),
            code="Q103",
            span=Span(0, len(pipe.entity), 1, 1) if pipe.span.pointer is None else Span(pointer="/from"),
            hint=f"entities: {', '.join(sorted(names))}",
        )
    lits = literal_order(pipe)
    slots = {id(lit): i for i, lit in enumerate(lits)}
    stages = _Stages(pipe, Resolver(ctx, slots))
    for step in pipe.steps:
        stages.read(step)
    return replace(query, resolved=stages.finish(), literals=tuple(lit.value for lit in lits))
