"""The query AST: frozen dataclasses shared by the text and JSON forms.

Both forms parse to these nodes; every node carries the ``Span`` it came from (excluded from equality,
so a query parsed from text equals the same query parsed from JSON). ``Pipeline`` is the root.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pavedroad.query.errors import Span

__all__ = [
    "Aggregate",
    "Assign",
    "Between",
    "BinOp",
    "Call",
    "Case",
    "Derive",
    "Expr",
    "Group",
    "In",
    "Interval",
    "IsNull",
    "Lit",
    "Page",
    "Param",
    "Path",
    "Pipeline",
    "Select",
    "Sort",
    "SortKey",
    "Step",
    "Take",
    "Unary",
    "Where",
]

NO_SPAN = Span()
LitValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Lit:
    """A literal: string, number, boolean or null. Always bound as a parameter in SQL."""

    value: LitValue
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Param:
    """A typed parameter ``$name`` whose value arrives with the request."""

    name: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Path:
    """A dotted name: a field, a derived field, or a navigation ``job.department.name``."""

    parts: tuple[str, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: scalar, aggregate, window or a model-defined function."""

    name: str
    args: tuple[Expr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BinOp:
    """``left op right`` for arithmetic, comparison, ``and``, ``or``, ``like``."""

    op: str
    left: Expr
    right: Expr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """``not x`` or ``-x``."""

    op: str
    operand: Expr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class In:
    """``x in (a, b)`` / ``x not in (...)``."""

    expr: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Between:
    """``x between low and high`` (inclusive both ends)."""

    expr: Expr
    low: Expr
    high: Expr
    negated: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IsNull:
    """``x is null`` / ``x is not null``."""

    expr: Expr
    negated: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Case:
    """``case when c then v ... else e end``."""

    whens: tuple[tuple[Expr, Expr], ...]
    default: Expr | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Interval:
    """A relative duration: ``90 days``, ``$n weeks``."""

    amount: Lit | Param
    unit: str
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Expr = Lit | Param | Path | Call | BinOp | Unary | In | Between | IsNull | Case | Interval


@dataclass(frozen=True, slots=True)
class Assign:
    """``name = expr`` in derive/group/aggregate/select; ``name`` is None when implied by the expression."""

    name: str | None
    expr: Expr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SortKey:
    expr: Expr
    descending: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Where:
    """Keep rows where ``expr`` holds; after ``aggregate`` it filters groups (SQL HAVING)."""

    expr: Expr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Derive:
    items: tuple[Assign, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Group:
    items: tuple[Assign, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Aggregate:
    items: tuple[Assign, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Sort:
    keys: tuple[SortKey, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Take:
    count: Lit | Param
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Select:
    items: tuple[Assign, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Page:
    """Keyset pagination: ``page size N [after $cursor]``; stable under inserts."""

    size: Lit | Param
    after: Param | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Step = Where | Derive | Group | Aggregate | Sort | Take | Select | Page


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A whole query: the entity it starts from and its steps, in order."""

    entity: str
    steps: tuple[Step, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)
