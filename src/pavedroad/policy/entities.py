"""Entities of a request: a uid, attributes and ancestors (the transitive closure of ``in``).

Values follow Cedar's types as plain Python: ``bool``, ``int`` (64-bit Long), ``str``, an entity uid
``(type, id)`` (a tuple: no other Cedar value is one), a set as ``frozenset`` and a record as ``dict``.
``Entity.ancestors`` includes the entity itself, so ``principal in X`` is one set membership.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["UID", "Entities", "Entity", "Record", "from_cedar_value", "to_cedar_value", "uid"]

UID = tuple[str, str]


class Record(dict[str, Any]):
    """A Cedar record: a dict that can sit in a set (hashable by its items)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def uid(text_or_type: str, ident: str | None = None) -> UID:
    """``uid("Role", "admin")`` or ``uid('Role::"admin"')``."""
    if ident is not None:
        return (text_or_type, ident)
    etype, _, rest = text_or_type.partition("::")
    if not rest.startswith('"') or not rest.endswith('"'):
        raise ValueError(f'an entity is written Type::"id", got {text_or_type!r}')
    return (etype, rest[1:-1])


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity: uid, attributes, and every ancestor (itself included)."""

    uid: UID
    attrs: Mapping[str, Any] = field(default_factory=dict)
    ancestors: frozenset[UID] = frozenset()

    def __post_init__(self) -> None:
        if self.uid not in self.ancestors:
            object.__setattr__(self, "ancestors", self.ancestors | {self.uid})


class Entities:
    """A store of entities with ``in`` closed transitively; unknown uids have no attributes."""

    def __init__(self, items: Iterable[tuple[UID, Mapping[str, Any], Iterable[UID]]] = ()) -> None:
        attrs: dict[UID, Mapping[str, Any]] = {}
        parents: dict[UID, set[UID]] = {}
        for u, a, ps in items:
            attrs[u] = a
            parents[u] = set(ps)
        self._by_uid: dict[UID, Entity] = {}
        for u, a in attrs.items():
            self._by_uid[u] = Entity(u, a, frozenset(_closure(u, parents)))
        self._parents = parents

    def get(self, u: UID) -> Entity | None:
        return self._by_uid.get(u)

    def entity(self, u: UID) -> Entity:
        """The stored entity, or one with no attributes and no parents."""
        return self._by_uid.get(u) or Entity(u)

    def __iter__(self) -> Any:
        return iter(self._by_uid.values())

    def to_cedar_json(self) -> list[dict[str, Any]]:
        """The entities in Cedar's JSON form (for the reference evaluator in tests and tools)."""
        return [
            {"uid": _uid_json(e.uid), "attrs": {k: to_cedar_value(v) for k, v in e.attrs.items()},
             "parents": [_uid_json(p) for p in sorted(self._parents.get(e.uid, ()))]}
            for e in self._by_uid.values()
        ]  # fmt: skip


def _closure(u: UID, parents: Mapping[UID, set[UID]]) -> set[UID]:
    seen: set[UID] = {u}
    stack = [u]
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _uid_json(u: UID) -> dict[str, str]:
    return {"type": u[0], "id": u[1]}


def to_cedar_value(v: Any) -> Any:
    """A Python value as Cedar JSON (entity references as ``__entity``)."""
    if isinstance(v, tuple):
        return {"__entity": _uid_json(v)}
    if isinstance(v, frozenset | set | list):
        return [to_cedar_value(x) for x in v]
    if isinstance(v, dict):
        return {k: to_cedar_value(x) for k, x in v.items()}
    return v


def from_cedar_value(v: Any) -> Any:
    """Cedar JSON (entity references as ``__entity`` or ``{"type", "id"}``) as a Python value."""
    if isinstance(v, dict):
        if "__entity" in v:
            return (v["__entity"]["type"], v["__entity"]["id"])
        if "__extn" in v:
            raise ValueError("extension values (ip, decimal, datetime) are not supported")
        return Record({k: from_cedar_value(x) for k, x in v.items()})
    if isinstance(v, list):
        return frozenset(from_cedar_value(x) for x in v)
    return v
