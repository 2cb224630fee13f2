"""Schema compatibility: a new snapshot may only *add* to the old one.

Guarantee: ``breaking_changes(old, new)`` lists every change that could break a consumer reading events
written under ``old`` with code written for ``new`` or vice versa: a removed event schema, a removed
field, a field whose type or format changed, an enum value removed, a new required field, a field that
became required, or a classification made less strict. Adding event types, versions, optional fields
and enum values is allowed. Pure: compares two JSON documents, no I/O.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pavedroad.events.envelope import CLASSIFICATIONS

__all__ = ["breaking_changes", "load_snapshot", "write_snapshot"]

_SHAPE_KEYS = ("type", "format", "const", "items", "anyOf", "$ref", "additionalProperties")


def load_snapshot(path: Path) -> dict[str, Any]:
    """Read a snapshot written by ``write_snapshot`` (an empty one when the file is absent)."""
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_snapshot(path: Path, snapshot: dict[str, Any]) -> None:
    """Write ``snapshot`` with stable key order so the file diffs cleanly in review."""
    path.write_text(json.dumps(snapshot, indent=2, sort_keys=True) + "\n")


def _shape(prop: Any) -> Any:
    """The part of a property schema that decides what values parse (enums are compared separately)."""
    if isinstance(prop, list):
        return [_shape(p) for p in prop]
    if not isinstance(prop, dict):
        return prop
    return {k: _shape(prop[k]) for k in _SHAPE_KEYS if k in prop}


def _enum(prop: dict[str, Any]) -> set[Any] | None:
    if "enum" in prop:
        return set(prop["enum"])
    for option in prop.get("anyOf", []):
        if "enum" in option:
            return set(option["enum"])
    return None


def _strictness(value: str) -> int:
    return CLASSIFICATIONS.index(value) if value in CLASSIFICATIONS else 0


def _compare_one(key: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    old_schema, new_schema = old["json_schema"], new["json_schema"]
    old_props: dict[str, Any] = old_schema.get("properties", {})
    new_props: dict[str, Any] = new_schema.get("properties", {})
    old_required, new_required = set(old_schema.get("required", [])), set(new_schema.get("required", []))
    if old.get("aggregate_type") != new.get("aggregate_type"):
        problems.append(
            f"{key}: aggregate_type changed from {old.get('aggregate_type')} to {new.get('aggregate_type')}"
        )
    for name, prop in old_props.items():
        if name not in new_props:
            problems.append(f"{key}: field '{name}' was removed")
            continue
        new_prop = new_props[name]
        if _shape(prop) != _shape(new_prop):
            problems.append(f"{key}: field '{name}' changed type ({_shape(prop)} -> {_shape(new_prop)})")
        old_enum, new_enum = _enum(prop), _enum(new_prop)
        if old_enum is not None and (new_enum is None or not old_enum <= new_enum):
            lost = sorted(map(str, old_enum - (new_enum or set())))
            problems.append(f"{key}: field '{name}' lost allowed values {lost}")
        if name not in old_required and name in new_required:
            problems.append(f"{key}: field '{name}' became required")
    for name in new_props.keys() - old_props.keys():
        if name in new_required:
            problems.append(f"{key}: new field '{name}' is required (new fields must have a default)")
    old_cls, new_cls = old.get("classification", {}), new.get("classification", {})
    for name, value in old_cls.items():
        if name in new_cls and _strictness(new_cls[name]) < _strictness(value):
            problems.append(f"{key}: field '{name}' classification relaxed from {value} to {new_cls[name]}")
    return problems


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every breaking difference from snapshot ``old`` to ``new`` (empty: compatible)."""
    problems: list[str] = []
    for key in sorted(old):
        if key not in new:
            problems.append(f"{key}: event schema was removed (keep old versions registered)")
            continue
        problems.extend(_compare_one(key, old[key], new[key]))
    return problems
