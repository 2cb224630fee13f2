"""The shape rules a query must pass before it is compiled for a caller with row rules or sensitive data.

Guarantees of ``check_shape``: a query that would show or filter rows by a ``sensitive`` field outside an
aggregate is refused; a query that navigates (through a relation) into an entity whose rows a relationship
rule narrows for the caller's role is refused, except one many-to-one step from a root narrowed itself —
both exactly as if the field did not exist (``Q104``), so nothing can be probed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pavedroad.privacy.classification import Classification
from pavedroad.privacy.rows import RowRule
from pavedroad.query import QueryError, SemanticModel, parse_text, to_json

__all__ = ["check_shape", "is_aggregate", "sensitive_fields"]

_AGG_STEPS = ("group", "aggregate")


def _fields(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("field"), str):
            yield node["field"]
        for value in node.values():
            yield from _fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from _fields(value)


def _label(model: SemanticModel, entity: str, dotted: str) -> Classification | None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        ent = model.entities.get(entity)
        if ent is None or part not in ent.relations:
            return None
        entity = ent.relations[part].entity
    ent = model.entities.get(entity)
    if ent is None:
        return None
    if parts[-1] in ent.fields:
        return Classification(ent.fields[parts[-1]].classification)
    derived = ent.derived.get(parts[-1])
    return Classification(derived.classification) if derived and derived.classification else None


def sensitive_fields(model: SemanticModel, query: Mapping[str, Any]) -> list[str]:
    """Dotted names of every ``sensitive`` field the query mentions (in any step)."""
    root = str(query["from"])
    return [f for f in _fields(query.get("steps", [])) if _label(model, root, f) is Classification.SENSITIVE]


def is_aggregate(query: Mapping[str, Any]) -> bool:
    return any(any(k in step for k in _AGG_STEPS) for step in query.get("steps", []))


def _crossing(model: SemanticModel, root: str, dotted: str, restricted: set[str], root_ruled: bool) -> str | None:
    """The relation of ``dotted`` that enters an entity with a row rule for the role, if any.

    Row rules narrow the root entity only, so reaching a ruled entity through a relation would read rows
    the rule hides — except one step many-to-one from a ruled root (the application's own job).
    """
    entity = root
    for depth, part in enumerate(dotted.split(".")):
        ent = model.entities.get(entity)
        if ent is None or part not in ent.relations:
            return None
        relation = ent.relations[part]
        safe = depth == 0 and root_ruled and relation.cardinality == "many_to_one"
        if relation.entity in restricted and not safe:
            return part
        entity = relation.entity
    return None


def _calls(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("call"), str):
            yield node["call"]
        for value in node.values():
            yield from _calls(value)
    elif isinstance(node, list):
        for value in node:
            yield from _calls(value)


def _expanded_fields(model: SemanticModel, root: str, steps: Any, depth: int = 0) -> Iterator[str]:
    """Every field the steps read, with the root's measures, derived fields and functions expanded."""
    ent = model.entities.get(root)
    names = list(_fields(steps))
    yield from names
    if ent is None or depth >= 4:
        return
    bodies = [ent.measures[n].expr for n in names if n in ent.measures]
    bodies += [ent.derived[n].expr for n in names if n in ent.derived]
    bodies += [ent.functions[c].expr for c in _calls(steps) if c in ent.functions]
    for body in bodies:
        try:
            expanded = to_json(parse_text(f"{root} | derive privacy_probe = {body}"))
        except QueryError:
            continue  # a body that does not parse alone (a function's parameters) is checked by the compiler
        yield from _expanded_fields(model, root, expanded["steps"], depth + 1)


def _check_relations(model: SemanticModel, q: dict[str, Any], rules: Sequence[RowRule], role: str) -> None:
    restricted = {r.entity for r in rules if role in r.roles}
    if not restricted:
        return
    root = str(q["from"])
    for dotted in _expanded_fields(model, root, q.get("steps", [])):
        part = _crossing(model, root, dotted, restricted, root in restricted)
        if part is not None:
            raise QueryError(
                f"unknown field '{part}' on {root}",
                code="Q104",
                hint=f"your role sees only some {part}; query them from their own entity",
            )


def check_shape(model: SemanticModel, q: dict[str, Any], rules: Sequence[RowRule] = (), role: str = "") -> bool:
    """Refuse sensitive fields outside aggregates, and navigation into rows a rule hides (both as unknown
    fields); return whether ``q`` aggregates."""
    _check_relations(model, q, rules, role)
    aggregate = is_aggregate(q)
    hidden = sensitive_fields(model, q)
    if hidden and not aggregate:
        raise QueryError(
            f"unknown field '{hidden[0].split('.')[-1]}' on {q.get('from')}",
            code="Q104",
            hint="this field can only be used in grouped, aggregated reports",
        )
    return aggregate
