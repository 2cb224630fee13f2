"""Relationship rules: which *rows* of an entity a role may see, declared as data.

Guarantee: ``restrict(query_json, rules, role, user_id, grants)`` returns the query (JSON form) with one
``where`` step in front per rule that applies to the query's root entity and role — ``unless`` (a
condition in the query language, e.g. ``job.confidential = false``) *or* ``field in (granted ids)`` —
so the compiler scopes and binds it like any filter (the ids are literals, hence parameters). A role
with no grant sees no row of that entity (fail closed). ``grants_sql`` runs in the caller's tenant
transaction, under row-level security, with ``%(tenant)s`` and ``%(user)s``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

__all__ = ["RowRule", "afetch_granted", "asend_granted", "restrict", "rules_for"]

_NOTHING: dict[str, Any] = {"op": "=", "args": [{"value": 1}, {"value": 0}]}


@dataclass(frozen=True)
class RowRule:
    """Rows of ``entity`` visible to ``roles``: ``unless`` holds, or ``field`` is one of the granted ids."""

    entity: str
    roles: frozenset[str]
    field: str
    grants_sql: str | None  # ``None``: a condition only (a policy's residual), no grants to fetch
    unless: Mapping[str, Any] | None = None  # a JSON-form condition; ``{"user": true}`` marks the user id
    reason: str = ""
    covers: tuple[str, ...] = ()  # many-to-one relation paths from ``entity`` whose rows the condition narrows

    def applies(self, entity: str, role: str) -> bool:
        return entity == self.entity and role in self.roles


def rules_for(rules: Iterable[RowRule], entity: str, role: str) -> list[RowRule]:
    return [r for r in rules if r.applies(entity, role)]


async def asend_granted(
    conn: psycopg.AsyncConnection, rule: RowRule, tenant: str, user_id: int | None
) -> psycopg.AsyncCursor[Any] | None:
    """The ids ``rule`` grants ``user_id``, in two halves so a pipelined connection sends several grants in
    one round trip: the query sent (``None``: a principal without a user, granted nothing)..."""
    if user_id is None or rule.grants_sql is None:
        return None
    return await conn.execute(rule.grants_sql, {"tenant": tenant, "user": user_id})


async def afetch_granted(cur: psycopg.AsyncCursor[Any] | None) -> list[int]:
    """...and its ids received."""
    return [] if cur is None else [int(r[0]) for r in await cur.fetchall()]


def _with_user(node: Any, user_id: int | None) -> Any:
    if isinstance(node, dict):
        if node == {"user": True}:
            return {"value": user_id if user_id is not None else -1}
        return {k: _with_user(v, user_id) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_user(v, user_id) for v in node]
    return node


def condition(rule: RowRule, ids: Sequence[int], user_id: int | None) -> dict[str, Any]:
    """The JSON-form condition for one rule."""
    if rule.grants_sql is None and rule.unless is not None:
        cond: dict[str, Any] = _with_user(copy.deepcopy(dict(rule.unless)), user_id)
        return cond
    granted = {"in": {"field": rule.field}, "items": [{"value": i} for i in ids], "negated": False} if ids else _NOTHING
    if rule.unless is None:
        return granted
    return {"op": "or", "args": [_with_user(copy.deepcopy(dict(rule.unless)), user_id), granted]}


def restrict(
    query: Mapping[str, Any], rules: Sequence[RowRule], grants: Sequence[Sequence[int]], user_id: int | None
) -> dict[str, Any]:
    """``query`` with each rule's condition as a leading ``where`` step (``grants[i]`` for ``rules[i]``)."""
    out = dict(query)
    leading = [{"where": condition(rule, ids, user_id)} for rule, ids in zip(rules, grants, strict=True)]
    out["steps"] = [*leading, *query.get("steps", [])]
    return out
