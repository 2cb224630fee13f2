"""What every pass receives (``Context``: model, tenant schema, role, policy, dialect, limits) and the
value that flows through the passes (``QueryState``: source ─► AST ─► resolved ─► plan ─► SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp

from pavedroad.query import ast as qa
from pavedroad.query.ir import Resolved
from pavedroad.query.limits import Limits  # defined beside the checks the parsers run before any pass
from pavedroad.query.model import SemanticModel
from pavedroad.query.overlay import TenantSchema
from pavedroad.query.ports import DefaultPolicy, FieldPolicy

__all__ = ["Column", "Context", "Dialect", "Limits", "QueryState", "Slot"]

Dialect = Literal["postgres", "duckdb", "clickhouse"]


@dataclass(frozen=True, slots=True)
class Context:
    model: SemanticModel
    schema: TenantSchema
    role: str = "admin"
    dialect: Dialect = "postgres"
    policy: FieldPolicy = field(default_factory=DefaultPolicy)
    limits: Limits = field(default_factory=Limits)
    param_types: tuple[tuple[str, str], ...] = ()
    has_cursor: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a bound parameter's value comes from at run time.

    kind: ``tenant`` | ``now`` | ``literal`` (index into the query's literals) | ``param`` (a ``$name``)
    | ``const`` (a compiler constant) | ``interval`` (amount from ``source`` + unit) | ``cursor`` (i-th key)
    | ``limit`` / ``page_limit`` (a row count: literal, param or the default page) | ``row_cap`` (max_rows + 1).
    """

    name: str
    kind: str
    source: Any = None
    unit: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    classification: str
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class QueryState:
    """The unit of compilation each pass takes and returns."""

    source: str | None
    ast: qa.Pipeline | None = None
    resolved: Resolved | None = None
    plan: Any = None
    sql: exp.Expression | None = None
    slots: tuple[Slot, ...] = ()
    columns: tuple[Column, ...] = ()
    cursor: tuple[str, ...] = ()  # output names holding the page's sort key, in order
    literals: tuple[object, ...] = ()  # the query's literal values in slot order (set by resolve_names)
