"""The resolved, typed intermediate form the passes after ``resolve_names`` work on.

Names are gone: every field is a ``Col`` with the relation hops that reach it from the query's entity.
A hop is many-to-one (a join) or one-to-many (a *branch*: aggregated before joining). ``check_types``
fills ``type``; classification is derived (``classification_of``) as the max over the columns used.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from pavedroad.query.errors import Span

__all__ = [
    "Agg", "Col", "Const", "FieldRef", "Fn", "Hop", "Ival", "Node", "Output", "PageSpec", "Par", "RelRef",
    "Resolved", "Total", "Win", "children", "classification_of", "cols_of", "grain_of", "loose_cols",
]  # fmt: skip

NOSPAN = Span()


@dataclass(frozen=True, slots=True)
class Hop:
    """One relation step: ``target.<right_col> = source.<left_col>`` (and each pair of ``also`` for a composite
    key); ``many`` marks one-to-many."""

    relation: str
    source: str
    target: str
    table: str
    tenant_column: str
    left_col: str
    right_col: str
    many: bool
    required: bool
    when: tuple[tuple[str, str], ...] = ()  # target columns that must also hold these values (a role seat)
    also: tuple[tuple[str, str], ...] = ()  # more (left_col, right_col) pairs of a composite key


@dataclass(frozen=True, slots=True)
class FieldRef:
    entity: str
    name: str
    column: str
    type: str
    classification: int
    nullable: bool
    json_key: str | None = None
    category: str | None = None  # a custom field's restricted category (``compensation``), for the policy


@dataclass(frozen=True, slots=True)
class Col:
    hops: tuple[Hop, ...]
    field: FieldRef
    type: str | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RelRef:
    """A one-to-many relation named as a whole, as in ``count(interviews)``."""

    hops: tuple[Hop, ...]
    type: str | None = "relation"
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Const:
    """A literal; ``slot`` is its position among the query's lifted literals (None: compiler constant)."""

    value: Any
    type: str | None = None
    slot: int | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Par:
    name: str
    type: str | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ival:
    amount: Const | Par
    unit: str
    type: str | None = "interval"
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Fn:
    """A scalar function or operator."""

    name: str
    args: tuple[Node, ...]
    type: str | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Agg:
    """An aggregate. ``grain`` is the one-to-many path it aggregates over (empty: the query's rows);
    ``where`` filters the related rows (``count(offers, status = "accepted")``, ``any(rel, cond)``)."""

    fn: str
    arg: Node | None
    grain: tuple[Hop, ...] = ()
    where: Node | None = None
    extra: tuple[Node, ...] = ()
    type: str | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Win:
    """A window calculation over the result rows: rank, running total, percent of total, lag and lead; within
    each ``partition`` (rows with equal keys) when it has one."""

    fn: str
    args: tuple[Node, ...]
    order: tuple[tuple[Node, bool], ...] = ()
    partition: tuple[Node, ...] = ()
    type: str | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Total:
    """An ungrouped total (``all(avg(balance))``, Malloy's ``all()``): ``value``, an expression of aggregates,
    over every row of the query's entity that passes ``filters`` (the row filters written before it), one
    value for every row or group. Lowered as a scalar subquery with its own, tenant-scoped, scans."""

    value: Node
    filters: tuple[Node, ...] = ()
    type: str | None = None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


Node = Col | RelRef | Const | Par | Ival | Fn | Agg | Win | Total


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    expr: Node
    hidden: bool = False
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PageSpec:
    size: Const | Par
    cursor: str | None
    span: Span = dc_field(default=NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The query as stages: row filters ─► (group + aggregates ─► group filters) ─► outputs, order, limit."""

    entity: str
    where: tuple[Node, ...] = ()
    aggregated: bool = False
    groups: tuple[Output, ...] = ()
    aggregates: tuple[Output, ...] = ()
    having: tuple[Node, ...] = ()
    outputs: tuple[Output, ...] = ()
    sort: tuple[tuple[Node, bool], ...] = ()
    limit: Const | Par | None = None
    page: PageSpec | None = None


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions of ``node``."""
    if isinstance(node, Fn):
        return node.args
    if isinstance(node, Agg):
        out = tuple(x for x in (node.arg, node.where) if x is not None)
        return out + node.extra
    if isinstance(node, Win):
        return node.args + tuple(o[0] for o in node.order) + node.partition
    if isinstance(node, Ival):
        return (node.amount,)
    if isinstance(node, Total):
        return (node.value,)  # its filters are the query's own, read (and checked) where they were written
    return ()


def cols_of(node: Node) -> list[Col]:
    """Every column under ``node`` (not looking inside aggregates' own grains)."""
    out: list[Col] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Col):
            out.append(cur)
        else:
            stack.extend(children(cur))
    return out


def loose_cols(node: Node) -> list[Col]:
    """Columns read by ``node`` itself, not inside a nested aggregate."""
    out: list[Col] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Agg):
            continue
        if isinstance(cur, Col):
            out.append(cur)
        stack.extend(children(cur))
    return out


def grain_of(hops: tuple[Hop, ...]) -> tuple[Hop, ...]:
    """The hops up to and including the last one-to-many hop (the rows a value varies with)."""
    last = -1
    for i, hop in enumerate(hops):
        if hop.many:
            last = i
    return hops[: last + 1]


def classification_of(node: Node) -> int:
    """The max classification over every column the expression reads (0 = public for constants)."""
    level = 0
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Col):
            level = max(level, cur.field.classification)
        stack.extend(children(cur))
    return level
