"""The shape rules a query must pass before it is compiled for a caller with row rules or sensitive data.

Guarantees of ``check_shape``: a query that would show or filter rows by a ``sensitive`` field outside an
aggregate is refused; a query that navigates (through a relation) into an entity whose rows a relationship
rule narrows for the caller's role is refused, except one many-to-one step from a root narrowed itself —
both exactly as if the field did not exist (``Q104``), so nothing can be probed. An aggregate over
sensitive data (a sensitive field as a group key, a filter or a measure) must not single anyone out
(``Q304``): it may not group or filter by a person-identifying field — an entity's key, a many-to-one
foreign key, a ``personal`` field — nor aggregate one other than by counting it, and it may not drop
groups or keys after ``aggregate`` (``where``/``take``/``select``), because suppression (``disclosure``)
plans on the whole table. Tenant custom fields (``custom.<key>``) are judged by the classification
they were defined with, like model fields.
"""

from __future__ import annotations

import functools
import json
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pavedroad.privacy.classification import Classification
from pavedroad.privacy.rows import RowRule
from pavedroad.query import QueryError, SemanticModel, Span, TenantSchema, custom_label, parse_text, to_json

__all__ = ["check_shape", "checked_shape", "in_text", "is_aggregate", "sensitive_fields"]

_AGG_STEPS = ("group", "aggregate")
_COUNTING = ("count", "count_distinct")  # counting people reveals nothing about which ones
_TRIMMING = ("where", "take", "select")  # steps after aggregate that would drop groups or their keys


def _fields(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("field"), str):
            yield node["field"]
        for value in node.values():
            yield from _fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from _fields(value)


def _target(model: SemanticModel, entity: str, dotted: str) -> tuple[str, str] | None:
    """The entity a dotted path lands on, and the last name (a field, or ``custom.<key>``)."""
    parts = dotted.split(".")
    for i, part in enumerate(parts[:-1]):
        ent = model.entities.get(entity)
        if ent is None:
            return None
        if part == ent.custom_fields_column and i == len(parts) - 2:
            return entity, f"{part}.{parts[-1]}"
        if part not in ent.relations:
            return None
        entity = ent.relations[part].entity
    return entity, parts[-1]


def _label(model: SemanticModel, entity: str, dotted: str, schema: TenantSchema | None = None) -> Classification | None:
    target = _target(model, entity, dotted)
    ent = model.entities.get(target[0]) if target else None
    if target is None or ent is None:
        return None
    entity, name = target
    if ent.custom_fields_column and name.startswith(f"{ent.custom_fields_column}."):
        key = name.split(".", 1)[1]
        defined = [cf for cf in (schema.custom if schema else ()) if cf.entity == entity and cf.key == key]
        return Classification(custom_label(defined[0].classification)[0].name) if defined else None
    if name in ent.fields:
        return Classification(ent.fields[name].classification)
    derived = ent.derived.get(name)
    return Classification(derived.classification) if derived and derived.classification else None


def _identifying(model: SemanticModel, entity: str, dotted: str, schema: TenantSchema | None) -> bool:
    """Whether the field's values point at one person or one row: a key, a foreign key, personal data."""
    label = _label(model, entity, dotted, schema)
    if label is Classification.PERSONAL:
        return True
    target = _target(model, entity, dotted)
    ent = model.entities.get(target[0]) if target else None
    if target is None or ent is None:
        return False
    keys = {ent.key} | {r.foreign_key for r in ent.relations.values() if r.cardinality == "many_to_one"}
    return target[1] in keys


def sensitive_fields(model: SemanticModel, query: Mapping[str, Any], schema: TenantSchema | None = None) -> list[str]:
    """Dotted names of every ``sensitive`` field the query reads (in any step, model bodies expanded;
    custom fields by their definitions in ``schema``)."""
    root = str(query["from"])
    steps = query.get("steps", [])
    return [
        f for f in dict.fromkeys(_expanded_fields(model, root, steps))
        if _label(model, root, f, schema) is Classification.SENSITIVE
    ]  # fmt: skip


def is_aggregate(query: Mapping[str, Any]) -> bool:
    return any(any(k in step for k in _AGG_STEPS) for step in query.get("steps", []))


def _crossing(
    model: SemanticModel, root: str, dotted: str, restricted: set[str], root_ruled: bool, *,
    covered: frozenset[str] = frozenset(),
) -> str | None:  # fmt: skip
    """The relation of ``dotted`` that enters an entity with a row rule for the role, if any.

    Row rules narrow the root entity only, so reaching a ruled entity through a relation would read rows
    the rule hides — except one step many-to-one from a ruled root (the application's own job), and a
    path a root rule ``covers`` (its condition narrows the rows reached through it).
    """
    entity = root
    path = ""
    for depth, part in enumerate(dotted.split(".")):
        ent = model.entities.get(entity)
        if ent is None or part not in ent.relations:
            return None
        relation = ent.relations[part]
        path = f"{path}.{part}" if path else part
        safe = (depth == 0 and root_ruled and relation.cardinality == "many_to_one") or path in covered
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
        steps = _body_steps(root, body)
        if steps is not None:  # a body that does not parse alone (a function's parameters): the compiler checks it
            yield from _expanded_fields(model, root, steps, depth + 1)


@functools.lru_cache(maxsize=4096)
def _body_steps(root: str, body: str) -> list[Any] | None:
    """A model body's steps as JSON (read only), or None if it does not parse alone. Cached: parsing was
    most of the check's cost, and a model has few bodies (the text is the key, so a changed body is
    parsed again)."""
    try:
        steps: list[Any] = to_json(parse_text(f"{root} | derive privacy_probe = {body}"))["steps"]
        return steps
    except QueryError:
        return None


def _check_relations(model: SemanticModel, q: dict[str, Any], rules: Sequence[RowRule], role: str) -> None:
    restricted = {r.entity for r in rules if role in r.roles}
    if not restricted:
        return
    root = str(q["from"])
    covered = frozenset(p for r in rules if role in r.roles and r.entity == root for p in r.covers)
    for dotted in _expanded_fields(model, root, q.get("steps", [])):
        part = _crossing(model, root, dotted, restricted, root in restricted, covered=covered)
        if part is not None:
            raise QueryError(
                f"unknown field '{part}' on {root}",
                code="Q104",
                hint=f"your role sees only some {part}; query them from their own entity",
            )


def _read(
    node: Any, derived: Mapping[str, set[str]], *, counted: bool = False, within: str = ""
) -> Iterator[tuple[str, bool]]:
    """(field, only counted) for every field ``node`` reads, through the names earlier ``derive`` steps
    defined; ``only counted`` when it is the bare argument of ``count``/``count_distinct``. A condition
    over a relation (``count(applications, candidate_id = 4)``) reads its fields both as written and
    through the relation, so whichever resolves is judged."""
    if isinstance(node, dict):
        if isinstance(node.get("field"), str):
            for name in derived.get(node["field"], {node["field"]}):
                yield name, counted
                if within:
                    yield f"{within}.{name}", counted
        args = node.get("args") if isinstance(node.get("call"), str) else None
        if isinstance(args, list) and args:
            bare = node["call"] in _COUNTING and all(isinstance(a, dict) and "field" in a for a in args)
            relation = args[0].get("field") if isinstance(args[0], dict) else None
            yield from _read(args[0], derived, counted=counted or bare, within=within)
            for arg in args[1:]:
                inner = within or (relation if isinstance(relation, str) else "")
                yield from _read(arg, derived, counted=counted or bare, within=inner)
            return
        for value in node.values():
            yield from _read(value, derived, counted=counted, within=within)
    elif isinstance(node, list):
        for value in node:
            yield from _read(value, derived, counted=counted, within=within)


def _single_out(where: str, field: str, hint: str, at: Span) -> QueryError:
    return QueryError(f"a report over sensitive data cannot {where} '{field}'", code="Q304", hint=hint, span=at)


def in_text(exc: QueryError, text: str) -> QueryError:
    """``exc`` pointing at the step of the caller's text (line, column, caret) instead of a JSON pointer."""
    found = re.fullmatch(r"/steps/(\d+)/\w+", exc.span.pointer or "") if exc.span else None
    if found is None:
        return exc
    steps = parse_text(text).steps
    index = int(found.group(1))
    span = steps[index].span if index < len(steps) else exc.span
    return QueryError(exc.message, code=exc.code, span=span, hint=exc.hint)


def _check_singling_out(model: SemanticModel, q: dict[str, Any], schema: TenantSchema | None) -> None:
    """An aggregate over sensitive data groups and filters only by fields shared by many people, counts
    identifying fields without showing them, and keeps every group it computed."""
    root = str(q["from"])
    derived: dict[str, set[str]] = {}
    after = False
    for i, step in enumerate(q.get("steps", [])):
        kind = next(iter(step))
        at = Span(pointer=f"/steps/{i}/{kind}")
        if after and kind in _TRIMMING:
            raise QueryError(
                f"a report over sensitive data cannot use '{kind}' after aggregate",
                code="Q304",
                hint="every group is returned (small ones hidden) so totals cannot be subtracted; filter before"
                " group, and sort instead of take",
                span=at,
            )
        for name, counted in _read(step[kind], derived):
            if counted or not _identifying(model, root, name, schema):
                continue
            if kind == "aggregate":
                raise _single_out("aggregate", name, "identifying fields may only be counted: count_distinct(x)", at)
            if kind in ("group", "where"):
                raise _single_out(
                    "group by" if kind == "group" else "filter by",
                    name,
                    "group and filter by fields many people share (e.g. job.title, not job_id)",
                    at,
                )
        if kind == "derive":
            for item in step[kind]:
                derived[item["name"]] = {n for n, _ in _read(item["expr"], derived)}
        after = after or kind == "aggregate"


def check_shape(
    model: SemanticModel,
    q: dict[str, Any],
    rules: Sequence[RowRule] = (),
    role: str = "",
    schema: TenantSchema | None = None,
) -> bool:
    """Refuse sensitive fields outside aggregates, and navigation into rows a rule hides (both as unknown
    fields), and an aggregate over sensitive data that could single someone out (``Q304``); return
    whether ``q`` aggregates. ``schema`` (the tenant's custom fields) classifies ``custom.<key>``."""
    _check_relations(model, q, rules, role)
    aggregate = is_aggregate(q)
    hidden = sensitive_fields(model, q, schema)
    if hidden and not aggregate:
        target = _target(model, str(q["from"]), hidden[0])
        raise QueryError(
            f"unknown field '{target[1] if target else hidden[0]}' on {q.get('from')}",
            code="Q104",
            hint="this field can only be used in grouped, aggregated reports",
        )
    if hidden:
        _check_singling_out(model, q, schema)
    return aggregate


_CHECKED: OrderedDict[tuple[Any, ...], tuple[bool, bool]] = OrderedDict()
_CHECKED_SIZE = 4096


def checked_shape(
    model: SemanticModel,
    q: dict[str, Any],
    rules: Sequence[RowRule] = (),
    role: str = "",
    schema: TenantSchema | None = None,
) -> tuple[bool, bool]:
    """``check_shape`` (raising as it does), then whether ``q`` reads a sensitive field: (aggregates,
    sensitive). A passed check is remembered by everything it depends on — the model, the query, the
    entities the role's rules narrow, the tenant's custom fields (version and digest) — so a report run
    again is not walked again; a refusal is never remembered (it is judged, and located, every time)."""
    narrowed = frozenset((r.entity, r.covers) for r in rules if role in r.roles)
    fields = None if schema is None else (schema.tenant_id, schema.schema_version, schema.digest)
    key = (model.fingerprint, json.dumps(q, sort_keys=True, default=repr), narrowed, fields)
    found = _CHECKED.get(key)
    if found is not None:
        return found
    aggregate = check_shape(model, q, rules, role, schema)
    out = (aggregate, bool(sensitive_fields(model, q, schema)))
    _CHECKED[key] = out
    if len(_CHECKED) > _CHECKED_SIZE:
        _CHECKED.popitem(last=False)
    return out
