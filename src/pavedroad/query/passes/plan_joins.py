"""Only the joins a query needs, and no fan-out: many-to-one paths become joins (inner when the
relation is required), each one-to-many *branch* is aggregated by its own key in a subquery before it
is joined (``LEFT JOIN (… GROUP BY fk) AS bN``), and ``any(rel, cond)`` used as a filter becomes a
semi-join (``EXISTS``). Aggregates over a branch inside ``aggregate`` are split: per-row partials in
the branch, combined in the outer query (sum of counts, min of mins, sums for averages and rates).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pavedroad.query.aggregates import AGGREGATES
from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, QueryLimitError
from pavedroad.query.ir import Agg, Col, Fn, Hop, Node, Total, children, cols_of

__all__ = ["Branch", "Exists", "JoinTree", "Plan", "Scan", "plan_joins"]


@dataclass
class Scan:
    """One table reference; ``scoped`` is set by ``scope_tenant`` and checked again by ``verify``."""

    table: str
    alias: str
    tenant_column: str
    scoped: bool = False


@dataclass
class Join:
    hop: Hop
    parent: str
    scan: Scan
    inner: bool


@dataclass
class JoinTree:
    """Aliases for the many-to-one paths below a root; joins are created on first use, in order.

    ``outer`` is the tree of the enclosing row when this tree is a correlated subquery (an ``EXISTS`` filter,
    or a ``LATERAL`` branch): a column not below ``prefix`` is the outer row's (``outer.stage.name``, or a
    model function's argument) and is read through the outer tree's aliases. A tree without ``outer`` has
    no other row to read."""

    root: Scan
    prefix: tuple[Hop, ...]
    names: list[str]
    joins: dict[tuple[Hop, ...], Join] = field(default_factory=dict)
    outer: JoinTree | None = None

    def holds(self, hops: tuple[Hop, ...]) -> bool:
        """Whether ``hops`` reach a column of this tree's own rows (rather than an outer row's)."""
        return hops[: len(self.prefix)] == self.prefix

    def alias(self, hops: tuple[Hop, ...]) -> str:
        if not self.holds(hops):
            if self.outer is None:
                raise InternalCompilerError(f"a column via {'.'.join(h.relation for h in hops) or 'the root'} "
                                            f"is outside the scope of {self.root.table}")  # fmt: skip
            return self.outer.alias(hops)
        parent = self.root.alias
        path = self.prefix
        for hop in hops[len(self.prefix) :]:
            path = (*path, hop)
            join = self.joins.get(path)
            if join is None:
                scan = Scan(hop.table, f"t{len(self.names)}", hop.tenant_column)
                self.names.append(scan.alias)
                inner = hop.required and all(j.inner for p, j in self.joins.items() if p == path[: len(p)])
                join = Join(hop, parent, scan, inner)
                self.joins[path] = join
            parent = join.scan.alias
        return parent


@dataclass
class Branch:
    """A one-to-many path aggregated per key of its anchor, then left-joined on that key.

    One branch per path: aggregates over the same relation share one scan, each part with its own
    filter (``FILTER (WHERE …)``); when every use has the same filter it moves to the branch's WHERE.
    """

    alias: str
    anchor: tuple[Hop, ...]
    tree: JoinTree
    parts: dict[tuple[str, Node | None, tuple[Node, ...], Node | None], str] = field(default_factory=dict)
    filters: set[Node | None] = field(default_factory=set)

    def use(self, where: Node | None) -> None:
        self.filters.add(where)

    def part(self, fn: str, arg: Node | None, extra: tuple[Node, ...] = (), where: Node | None = None) -> str:
        self.filters.add(where)
        key = (fn, arg, extra, where)
        name = self.parts.get(key)
        if name is None:
            name = self.parts[key] = f"a{len(self.parts)}"
        return name

    @property
    def common_where(self) -> Node | None:
        """The filter every use shares (applied as the branch's WHERE), or None."""
        return next(iter(self.filters)) if len(self.filters) == 1 else None


@dataclass
class Exists:
    tree: JoinTree
    anchor: tuple[Hop, ...]
    where: Node | None


@dataclass
class Plan:
    main: JoinTree
    branches: dict[tuple[tuple[Hop, ...], Node | None], Branch] = field(default_factory=dict)
    exists: dict[Agg, Exists] = field(default_factory=dict)
    semi: set[Agg] = field(default_factory=set)
    totals: dict[Total, Plan] = field(default_factory=dict)  # all(): each a subquery with a plan of its own
    label: str = "b"  # the branches' alias prefix (a total's plan has its own, so no alias shadows another)

    def branch_key(self, agg: Agg) -> tuple[tuple[Hop, ...], Node | None]:
        """Aggregates over one relation share a branch (one scan, a FILTER per part), except that a filter
        needing its own joins (``to_stage.name = …``) keeps a branch of its own, filtered in its WHERE:
        joining every related row just to filter most of them away costs more than a second scan. An
        aggregate that reads the outer row is a lateral branch of its own (see ``reads_outer``)."""
        if reads_outer(agg):
            return (agg.grain, agg)
        where = agg.where
        if where is not None and all(len(c.hops) <= len(agg.grain) for c in cols_of(where)):
            where = None
        return (agg.grain, where)

    def scans(self) -> list[Scan]:
        out = [self.main.root, *(j.scan for j in self.main.joins.values())]
        for b in self.branches.values():
            out += [b.tree.root, *(j.scan for j in b.tree.joins.values())]
        for e in self.exists.values():
            out += [e.tree.root, *(j.scan for j in e.tree.joins.values())]
        for sub in self.totals.values():
            out += sub.scans()
        return out


def anchor_len(grain: tuple[Hop, ...]) -> int:
    """How many many-to-one hops lead to the first one-to-many hop of a relation aggregate's grain."""
    for i, hop in enumerate(grain):
        if hop.many:
            return i
    raise InternalCompilerError(f"a relation aggregate over {'.'.join(h.relation for h in grain)} has no "
                                "one-to-many step")  # fmt: skip


def reads_outer(agg: Agg) -> bool:
    """Whether a relation aggregate reads the outer row (``outer.x``, or a model function's argument such as
    ``stage.name`` in ``reached(stage.name)``): a column not reached through its relation."""
    prefix = agg.grain[: anchor_len(agg.grain) + 1]
    parts = [x for x in (agg.arg, agg.where, *agg.extra) if x is not None]
    return any(c.hops[: len(prefix)] != prefix for x in parts for c in cols_of(x))


class _Planner:
    def __init__(self, plan: Plan, names: list[str]) -> None:
        self.plan = plan
        self.names = names

    def new_tree(self, grain: tuple[Hop, ...], anchor_len: int, outer: JoinTree | None = None) -> JoinTree:
        chain = grain[anchor_len:]
        first = chain[0]
        root = Scan(first.table, f"t{len(self.names)}", first.tenant_column)
        self.names.append(root.alias)
        tree = JoinTree(root, grain[: anchor_len + 1], self.names, outer=outer)
        for i in range(anchor_len + 1, len(grain)):
            tree.alias(grain[: i + 1])
            tree.joins[grain[: i + 1]].inner = True  # rows of the chain itself, never padded with nulls
        return tree

    def branch(self, agg: Agg) -> Branch:
        key = self.plan.branch_key(agg)
        found = self.plan.branches.get(key)
        if found is None:
            length = anchor_len(agg.grain)
            anchor = agg.grain[:length]
            self.plan.main.alias(anchor)
            outer = self.plan.main if reads_outer(agg) else None  # a lateral branch, correlated to the row
            label = f"{self.plan.label}{len(self.plan.branches)}"
            found = Branch(label, anchor, self.new_tree(agg.grain, length, outer))
            self.plan.branches[key] = found
        if agg.where is not None:
            self.walk_in(agg.where, found.tree)
        if agg.fn == "any":
            found.use(agg.where)
            if agg.where is not None:
                found.part("count", None, (), agg.where)  # read when the filter cannot be the branch's WHERE
        return found

    def walk_in(self, node: Node, tree: JoinTree) -> None:
        """Register the joins a branch-internal expression needs. A column of the outer row (``outer.x``, or
        a model function's argument) is read through the outer tree: the query's own joins, seen from a
        correlated ``EXISTS`` or a ``LATERAL`` branch."""
        for cur in _iter(node):
            if isinstance(cur, Col):
                if not tree.holds(cur.hops):
                    self.outer_col(cur, tree)
                tree.alias(cur.hops)
            elif isinstance(cur, Agg):
                raise QueryError(f"{cur.fn}() cannot be nested inside a relation aggregate", code="Q302",
                                 span=cur.span, hint="derive the inner value on its own entity first")  # fmt: skip

    def outer_col(self, col: Col, tree: JoinTree) -> None:
        """An outer-row column must be one the outer tree can join: no one-to-many step (Q302)."""
        if tree.outer is None:
            raise InternalCompilerError(f"'{col.field.name}' of the outer row in a branch planned without it",
                                        span=col.span)  # fmt: skip
        if any(h.many for h in col.hops):
            raise QueryError(
                f"'{col.field.name}' of the outer row lies across a one-to-many relation",
                code="Q302",
                span=col.span,
                hint="compare with a field of the outer row itself or of a many-to-one relation of it",
            )

    def filter(self, node: Node) -> None:
        """A top-level filter: conjuncts one by one; ``any``/``not any`` become (anti-)semi-joins."""
        if isinstance(node, Fn) and node.name == "and":
            for a in node.args:
                self.filter(a)
            return
        inner = node.args[0] if isinstance(node, Fn) and node.name == "not" else node
        if isinstance(inner, Agg) and inner.fn == "any":
            length = anchor_len(inner.grain)
            self.plan.main.alias(inner.grain[:length])
            tree = self.new_tree(inner.grain, length, outer=self.plan.main)
            if inner.where is not None:
                self.walk_in(inner.where, tree)
            self.plan.exists[inner] = Exists(tree, inner.grain[:length], inner.where)
            return
        self.row(node)

    def total(self, node: Total) -> None:
        """``all(…)``: a plan of its own over a new scan of the query's entity (tenant-scoped like every scan,
        through ``Plan.scans``): its filters are planned as the query's are (semi-joins, branches), its value
        as an aggregate step's; a total inside them is a subquery of its own again."""
        if node in self.plan.totals:
            return
        main = self.plan.main.root
        root = Scan(main.table, f"t{len(self.names)}", main.tenant_column)
        self.names.append(root.alias)
        sub = Plan(JoinTree(root, (), self.names), label=f"{root.alias}b")
        self.plan.totals[node] = sub
        planner = _Planner(sub, self.names)
        for f in node.filters:
            planner.filter(f)
        planner.group(node.value)

    def row(self, node: Node) -> None:
        """An expression evaluated per row of the query's entity."""
        if isinstance(node, Total):
            self.total(node)
            return
        if isinstance(node, Col):
            self.plan.main.alias(node.hops)
            return
        if isinstance(node, Agg):
            if node.grain:
                b = self.branch(node)
                if node.fn != "any":
                    b.part(node.fn, node.arg, node.extra, node.where)
                if node.arg is not None:
                    self.walk_in(node.arg, b.tree)
                return
            for c in children(node):
                self.row(c)
            return
        for c in children(node):
            self.row(c)

    def group(self, node: Node) -> None:
        """An expression in aggregate/having: top-level aggregates may split over a branch."""
        if isinstance(node, Total):
            self.total(node)
            return
        if isinstance(node, Agg):
            if not node.grain:
                for c in children(node):
                    self.row(c)
                return
            b = self.branch(node)
            partials = AGGREGATES[node.fn].partials
            for part in partials:
                b.part(part, node.arg, (), node.where)
            if not partials and node.fn != "any":
                raise QueryError(
                    f"{node.fn}() over a one-to-many relation cannot be combined across rows",
                    code="Q302",
                    span=node.span,
                    hint=f"derive a per-row value first, e.g. derive v = {node.fn}(…) | aggregate …",
                )
            if node.arg is not None:
                self.walk_in(node.arg, b.tree)
            return
        if isinstance(node, Col):
            self.plan.main.alias(node.hops)
            return
        for c in children(node):
            self.group(c)


def _iter(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        stack.extend(children(cur))
    return out


def plan_joins(query: QueryState, ctx: Context) -> QueryState:
    """Only needed joins; one-to-many branches aggregated before joining; existence filters as semi-joins."""
    res = query.resolved
    if res is None:
        raise InternalCompilerError("plan_joins ran before resolve_names")
    ent = ctx.model.entities[res.entity]
    names = ["t0"]
    plan = Plan(JoinTree(Scan(ent.table, "t0", ent.tenant_column), (), names))
    p = _Planner(plan, names)
    for w in res.where:
        p.filter(w)
    for g in res.groups:
        p.row(g.expr)
    if res.aggregated:
        keys = [g.expr for g in res.groups]
        for node in (*(a.expr for a in res.aggregates), *res.having, *(o.expr for o in res.outputs),
                     *(k for k, _ in res.sort)):  # fmt: skip
            if node not in keys:
                p.group(node)
    else:
        for node in (*(o.expr for o in res.outputs), *(k for k, _ in res.sort)):
            p.row(node)
    total = len(plan.scans()) - 1
    if total > ctx.limits.max_joins:
        raise QueryLimitError(
            f"the query needs {total} joins; the limit is {ctx.limits.max_joins}",
            code="Q403",
            hint="drop some navigations or split the report",
        )
    return replace(query, plan=plan)
