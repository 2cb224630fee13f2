"""``compile()``: text or JSON in, ``CompiledQuery`` out, cached by query shape.

The cache key is the normalized shape (literals lifted out, comments and spacing dropped), the model
version, the tenant's schema version, the policy version, the role, the dialect and whether a page
cursor is present. Literal values never enter the key, so a report re-run with other values is a
cache hit: the stored SQL is reused and only the parameter values are rebuilt.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pavedroad.query import ast as qa
from pavedroad.query.binding import BindInput, bind
from pavedroad.query.clickhouse import ClickHouseSql
from pavedroad.query.context import Column, Context, Dialect, Limits, QueryState, Slot
from pavedroad.query.errors import InternalCompilerError, QueryLimitError
from pavedroad.query.jsonform import from_json
from pavedroad.query.limits import check_tree
from pavedroad.query.model import SemanticModel
from pavedroad.query.overlay import TenantSchema
from pavedroad.query.passes.plan_joins import Plan
from pavedroad.query.passes.resolve_names import literal_order
from pavedroad.query.pipeline import PASSES, run_passes
from pavedroad.query.ports import DefaultPolicy, FieldPolicy
from pavedroad.query.text import check_source, unquote

__all__ = ["CompiledQuery", "Compiler", "compile_query", "default_compiler"]

# Comments, strings and numbers (not digits inside names). The leading lookahead lets the scan reject
# most positions with one character test (about 3x faster on the cache-hit path).
_TOKENS = re.compile(
    r"""(?=[#"'0-9])(?:\#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
    r"""|(?<![A-Za-z0-9_.$])\d+(?:\.\d+)?(?![A-Za-z0-9_.]))"""
)


def normalize(source: str) -> tuple[str, list[Any]]:
    """The query's shape (literals as ``?s``/``?i``/``?f``, no comments, single spaces) and its literal
    values in source order. On the cache-hit path, so: one regex scan, no per-space callbacks."""
    values: list[Any] = []
    pieces: list[str] = []
    last = 0
    for m in _TOKENS.finditer(source):
        text = m.group()
        pieces.append(source[last : m.start()])
        last = m.end()
        first = text[0]
        if first == "#":
            continue
        if first in "\"'":
            values.append(unquote(text))
            pieces.append(" ?s ")
        elif "." in text:
            values.append(float(text))
            pieces.append(" ?f ")
        else:
            values.append(int(text))
            pieces.append(" ?i ")
    pieces.append(source[last:])
    return " ".join("".join(pieces).split()), values


# How each dialect is spelled: SQLGlot's own, except ClickHouse's with microsecond timestamps.
_SPELLING: dict[str, Any] = {"clickhouse": ClickHouseSql}


@dataclass(frozen=True, slots=True)
class Template:
    sql: str
    slots: tuple[Slot, ...]
    columns: tuple[Column, ...]
    plan: str
    cursor: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """SQL with named placeholders, their values, typed and classified output columns, and the plan."""

    sql: str
    params: dict[str, Any]
    columns: tuple[Column, ...]
    dialect: Dialect
    plan: str
    cache_hit: bool = False
    cursor_columns: tuple[str, ...] = ()

    @property
    def page(self) -> bool:
        """A list view with keyset pagination (``page size N``)."""
        return bool(self.cursor_columns)

    def check_row_cap(self, fetched: int) -> None:
        """An answer bounded by the row cap (no take, no page, not pageable by key) that came back with the
        extra row is refused, never cut short in silence."""
        cap = self.params.get("row_cap")
        if cap is not None and fetched >= cap:
            raise QueryLimitError(
                f"the answer has more than {cap - 1} rows", code="Q404",
                hint="keep the first rows with sort … | take N, filter further, or group more coarsely",
            )  # fmt: skip


def _describe(plan: Plan) -> str:
    lines = [f"scan {plan.main.root.table} as {plan.main.root.alias}"]
    for j in plan.main.joins.values():
        lines.append(f"{'join' if j.inner else 'left join'} {j.scan.table} as {j.scan.alias} via {j.hop.relation}")
    for b in plan.branches.values():
        rel = ".".join(h.relation for h in b.tree.prefix)
        how = "left-joined laterally (it reads the outer row)" if b.tree.outer is not None else "left-joined"
        lines.append(f"branch {b.alias}: {rel} aggregated per {b.tree.prefix[-1].right_col}, then {how}")
    for e in plan.exists.values():
        lines.append(f"semi-join: exists {'.'.join(h.relation for h in e.tree.prefix)}")
    return "\n".join(lines)


@dataclass
class Compiler:
    """A compiled-query cache (LRU) in front of the passes."""

    size: int = 4096
    _cache: OrderedDict[tuple[Any, ...], Template] = field(default_factory=OrderedDict)
    hits: int = 0
    misses: int = 0

    def compile(
        self,
        query: str | dict[str, Any] | qa.Pipeline,
        *,
        model: SemanticModel,
        schema: TenantSchema,
        role: str = "admin",
        dialect: Dialect = "postgres",
        policy: FieldPolicy | None = None,
        limits: Limits | None = None,
        params: dict[str, Any] | None = None,
        param_types: dict[str, str] | None = None,
        cursor: list[Any] | None = None,
        now: datetime | None = None,
    ) -> CompiledQuery:
        """Compile (or fetch from cache) and bind ``params``; see the module docstring for the key."""
        policy = policy or DefaultPolicy()
        limits = limits or Limits()
        params = params or {}
        if isinstance(query, str):
            check_source(query, limits)  # a cache hit skips the parser: refuse unencodable text here too
            shape, literals = normalize(query)
            key_src: Any = ("t", shape)
        else:
            if isinstance(query, qa.Pipeline):
                pipeline = query
                check_tree(pipeline, limits)  # from_json checks its own
            else:
                pipeline = from_json(query, limits)
            from pavedroad.query.text import to_text

            literals = [lit.value for lit in literal_order(pipeline)]
            key_src = ("a", normalize(to_text(pipeline))[0])
        types = tuple(sorted((param_types or {}).items()))
        # Custom fields make the shape tenant-specific; without them tenants share compiled templates.
        tenant_key = (schema.tenant_id, schema.schema_version, schema.digest) if schema.custom else ()
        key = (key_src, model.fingerprint, tenant_key, policy.version, role, dialect, cursor is not None, types)
        template = self._cache.get(key)
        hit = template is not None
        if template is None:
            self.misses += 1
            state = QueryState(query if isinstance(query, str) else None,
                               None if isinstance(query, str) else pipeline)  # fmt: skip
            ctx = Context(model, schema, role, dialect, policy, limits, types, cursor is not None)
            state = run_passes(state, ctx, PASSES)
            if state.sql is None:
                raise InternalCompilerError("the passes emitted no SQL")
            if state.ast is None:
                raise InternalCompilerError("the passes left no syntax tree")
            sql = state.sql.sql(dialect=_SPELLING.get(dialect, dialect), copy=False)
            template = Template(sql, state.slots, state.columns, _describe(state.plan), state.cursor)
            # Cache only when the text scan and the parser agree on the literals; a shape is cached only
            # then, so every later text of that shape agrees too. This compile binds the parser's values.
            parsed = list(state.literals)
            agree = parsed == literals
            literals = parsed
            if agree:
                self._cache[key] = template
                if len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        else:
            self.hits += 1
            self._cache.move_to_end(key)
        inputs = BindInput(literals, params, schema.tenant_id, now or datetime.now(UTC), cursor, limits,
                           schema.time_zone)  # fmt: skip
        values = bind(template.slots, inputs)
        return CompiledQuery(template.sql, values, template.columns, dialect, template.plan, hit, template.cursor)

    def clear(self) -> None:
        self._cache.clear()


default_compiler = Compiler()


def compile_query(query: str | dict[str, Any] | qa.Pipeline, **kwargs: Any) -> CompiledQuery:
    """Compile with the process-wide cache; keyword arguments as ``Compiler.compile``."""
    return default_compiler.compile(query, **kwargs)
