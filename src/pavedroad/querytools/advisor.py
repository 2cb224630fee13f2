"""Index candidates for a compiled query, read off the compiler's own resolved form (pure, no database).

Rules (a table, applied to each row filter, sort and one-to-many key of the query):

| what the query does                          | candidate                                              |
|----------------------------------------------|--------------------------------------------------------|
| filters a column                             | ``(tenant_id, col)``                                   |
| equality on one column and a range on another| ``(tenant_id, eq_col, range_col)``                     |
| filters a number/int/bool custom field        | expression ``(tenant_id, ((custom ->> 'key')::type))`` |
| equality on a literal plus other filters     | partial ``(tenant_id, other) WHERE col = 'value'``     |
| sorts a row list and takes N                 | ``(tenant_id, sort_col)``                              |
| aggregates a one-to-many branch              | ``(tenant_id, foreign_key)`` on the branch's table     |

Guarantee: every candidate leads with the table's tenant column (the compiler scopes every scan by it,
so an index without it serves no tenant query well), names only model columns, and carries partial
predicates as values to be rendered as SQL literals by the driver, never spliced text. Text and
timestamp casts are not indexable (not immutable) and are never proposed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pavedroad.query import Col, Const, Fn, InternalCompilerError, Node, Plan, Resolved, SemanticModel
from pavedroad.querytools.trace import Trace

__all__ = ["IndexCandidate", "KeyPart", "candidates"]

_RANGE = {"<", "<=", ">", ">=", "between"}
_EQ = {"=", "in"}
# Custom-field casts the planner can match in an expression index (immutable from text).
_CASTS = {"number": "double precision", "int": "bigint", "bool": "boolean", "string": None}


@dataclass(frozen=True, slots=True)
class KeyPart:
    """A column, or ``column ->> json_key`` cast to ``cast`` (a custom field)."""

    column: str
    json_key: str | None = None
    cast: str | None = None

    @property
    def label(self) -> str:
        if self.json_key is None:
            return self.column
        inner = f"{self.column} ->> '{self.json_key}'"
        return f"(({inner})::{self.cast})" if self.cast else f"({inner})"


@dataclass(frozen=True, slots=True)
class IndexCandidate:
    table: str
    keys: tuple[KeyPart, ...]  # the tenant column first
    where: tuple[tuple[str, Any], ...] = ()  # partial predicate: column = value
    reason: str = ""

    @property
    def name(self) -> str:
        """A deterministic index name: table, key columns, and a digest of the whole definition."""
        digest = hashlib.sha256(repr((self.table, self.keys, self.where)).encode()).hexdigest()[:6]
        cols = "_".join((k.json_key or k.column) for k in self.keys[1:])[:30]
        return f"{self.table[:20]}_{cols}_{digest}_idx".replace("__", "_")

    @property
    def label(self) -> str:
        out = f"{self.table} ({', '.join(k.label for k in self.keys)})"
        if self.where:
            out += " WHERE " + " AND ".join(f"{c} = {v!r}" for c, v in self.where)
        return out


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Fn) and node.name == "and":
        return [x for a in node.args for x in _conjuncts(a)]
    return [node]


def _part(c: Col) -> KeyPart | None:
    f = c.field
    if f.json_key is None:
        return KeyPart(f.column)
    if f.type not in _CASTS:
        return None
    return KeyPart(f.column, f.json_key, _CASTS[f.type])


def _where_of(col: Col, model: SemanticModel, entity: str) -> tuple[str, str]:
    if col.hops:
        return col.hops[-1].table, col.hops[-1].tenant_column
    ent = model.entities[entity]
    return ent.table, ent.tenant_column


_Filter = tuple[str, KeyPart, Fn]  # (eq | range | other, the key, the conjunct)


def _filters(res: Resolved, model: SemanticModel) -> dict[tuple[str, str], list[_Filter]]:
    """Row-filter conjuncts on a column of the query's rows or a many-to-one join, per (table, tenant col)."""
    out: dict[tuple[str, str], list[_Filter]] = {}
    for conj in (x for w in res.where for x in _conjuncts(w)):
        if not (isinstance(conj, Fn) and conj.args and isinstance(conj.args[0], Col)):
            continue
        col = conj.args[0]
        part = _part(col)
        if part is None or any(h.many for h in col.hops):
            continue
        kind = "eq" if conj.name in _EQ else "range" if conj.name in _RANGE else "other"
        out.setdefault(_where_of(col, model, res.entity), []).append((kind, part, conj))
    return out


def _partials(table: str, lead: KeyPart, items: list[_Filter], key: str) -> list[IndexCandidate]:
    """``(tenant, other) WHERE col = value`` for each equality on a literal value."""
    out = []
    for _, part, conj in items:
        value = conj.args[1] if len(conj.args) == 2 else None  # a binary operator
        if conj.name != "=" or part.json_key or not isinstance(value, Const) or value.value is None:
            continue
        others = [p for _, p, _ in items if p != part] or [KeyPart(key)]
        why = f"rows with {part.column} = {value.value!r} only"
        out += [IndexCandidate(table, (lead, o), ((part.column, value.value),), reason=why) for o in others[:2]]
    return out


def _filter_candidates(table: str, tenant: str, items: list[_Filter]) -> list[IndexCandidate]:
    lead = KeyPart(tenant)
    out = [IndexCandidate(table, (lead, part), reason=f"filter on {part.label}") for _, part, _ in items]
    eqs = [p for k, p, _ in items if k == "eq"]
    ranges = [p for k, p, _ in items if k == "range"]
    out += [IndexCandidate(table, (lead, e, r), reason=f"equality on {e.label}, range on {r.label}")
            for e in eqs for r in ranges if e != r]  # fmt: skip
    return out


def candidates(trace: Trace, model: SemanticModel) -> list[IndexCandidate]:
    """Index candidates for the traced query, deduplicated, in a stable order."""
    res, plan = trace.final.resolved, trace.final.plan
    if not isinstance(res, Resolved):
        raise InternalCompilerError("the compile left no resolved query")
    if not isinstance(plan, Plan):
        raise InternalCompilerError("the compile left no join plan")
    ent = model.entities[res.entity]
    found: list[IndexCandidate] = []
    for (table, tenant), items in _filters(res, model).items():
        found += _filter_candidates(table, tenant, items)
        if table == ent.table:  # partial indexes only on the query's own rows (the fallback key is its key)
            found += _partials(table, KeyPart(tenant), items, ent.key)
    if not res.aggregated and res.limit is not None:
        for key, _ in res.sort[:1]:
            if isinstance(key, Col) and not key.hops and (part := _part(key)) is not None:
                found.append(
                    IndexCandidate(ent.table, (KeyPart(ent.tenant_column), part), reason=f"sort by {part.label}")
                )
    for b in plan.branches.values():
        hop = b.tree.prefix[-1]
        found.append(IndexCandidate(hop.table, (KeyPart(hop.tenant_column), KeyPart(hop.right_col)),
                                    reason=f"branch {hop.relation} aggregated per {hop.right_col}"))  # fmt: skip
    out: dict[tuple[Any, ...], IndexCandidate] = {}
    for c in found:
        out.setdefault((c.table, c.keys, c.where), c)
    return list(out.values())
