"""The Cedar schema of a deployment, generated from the semantic model and the action list.

Guarantee: every queryable ``int``/``string``/``bool`` field of every model entity is an attribute of the
entity type of the same name (``Long``/``String``/``Bool``; optional when nullable), every many-to-one
relation an attribute of the related entity type; ``Field`` (one per model field, for field access),
``User`` (``role``, ``user_id``, in its ``Role``) and ``Role`` are the principals' types. Policies are
validated against it when they load (``cedarpy.validate_policies``), and ``filter_fields`` is the same
attribute table the data filter (``partial``) compiles to SQL with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cedarpy

from pavedroad.policy.errors import PolicyError
from pavedroad.policy.partial import Field
from pavedroad.query import SemanticModel

__all__ = ["ACTIONS", "FIELD_ACTION", "READ_ACTION", "cedar_schema", "filter_fields", "validate"]

READ_ACTION = "read"  # rows of a model entity (data filtering)
FIELD_ACTION = "use_field"  # a field of a model entity in a query or on a read route
# Platform actions checked by ``is_allowed`` (a role-level resource: the ``Platform`` entity).
ACTIONS: tuple[str, ...] = (
    "flags.change", "flags.kill", "privacy.erase", "privacy.export", "audit.read", "query.explain",
    "exports.create", "integrations.manage", "workflows.manage",
)  # fmt: skip
_TYPES = {"int": "Long", "string": "String", "bool": "Bool"}


def filter_fields(model: SemanticModel) -> dict[str, dict[str, Field]]:
    """Entity -> attribute -> ``Field`` (Cedar type, nullable), as the data filter reads them."""
    out: dict[str, dict[str, Field]] = {}
    for name, ent in model.entities.items():
        attrs = {
            f: Field(_TYPES[d.type], d.nullable) for f, d in ent.fields.items() if d.queryable and d.type in _TYPES
        }
        for r, rel in ent.relations.items():
            if rel.cardinality == "many_to_one" and rel.entity in model.entities:
                attrs[r] = Field(rel.entity, not rel.required)
        out[name] = attrs
    return out


def cedar_schema(model: SemanticModel, actions: Sequence[str] = ACTIONS) -> dict[str, Any]:
    """The Cedar JSON schema (one unnamed namespace) for ``model`` and ``actions``."""
    types: dict[str, Any] = {
        "Role": {},
        "User": {"memberOfTypes": ["Role"], "shape": {"type": "Record", "attributes": {
            "role": {"type": "String"}, "user_id": {"type": "Long", "required": False},
        }}},
        "Field": {"shape": {"type": "Record", "attributes": {
            "entity": {"type": "String"}, "name": {"type": "String"}, "classification": {"type": "Long"},
            "category": {"type": "String"}, "custom": {"type": "Boolean"},
        }}},
        "Platform": {},
    }  # fmt: skip
    for name, attrs in filter_fields(model).items():
        shape = {a: _attr_type(f) for a, f in attrs.items()}
        types[name] = {"shape": {"type": "Record", "attributes": shape}}
    principals = ["User", "Role"]
    acts: dict[str, Any] = {
        READ_ACTION: {"appliesTo": {"principalTypes": ["User"], "resourceTypes": sorted(model.entities)}},
        FIELD_ACTION: {"appliesTo": {"principalTypes": principals, "resourceTypes": ["Field"]}},
    }
    for a in actions:
        acts[a] = {"appliesTo": {"principalTypes": principals, "resourceTypes": ["Platform"]}}
    return {"": {"entityTypes": types, "actions": acts}}


def _attr_type(f: Field) -> dict[str, Any]:
    base = {"Long": {"type": "Long"}, "String": {"type": "String"}, "Bool": {"type": "Boolean"}}.get(f.type)
    out: dict[str, Any] = dict(base) if base else {"type": "Entity", "name": f.type}
    if f.nullable:
        out["required"] = False
    return out


def validate(text: str, schema: Mapping[str, Any], *, source: str) -> None:
    """Refuse policies that do not type-check against ``schema`` (unknown entity types, attributes, actions)."""
    result = cedarpy.validate_policies(text, dict(schema))
    if not result.validation_passed:
        errors = "; ".join(str(getattr(e, "error", e)) for e in result.errors)
        hint = "attributes and actions come from the semantic model (see docs/policy.md)"
        raise PolicyError(f"{source}: policies do not match the schema: {errors}", hint=hint)
