"""Defining a tenant's custom fields: each one is classified when it is defined, never by default.

Guarantees of ``define_custom_field``: the classification is required and must be one of
``query.overlay.CUSTOM_CLASSIFICATIONS`` (the registry's labels plus restricted categories such as
``compensation``), the entity, key and type are checked the same way, and a bad value is a 400 naming the
accepted values — before anything reaches the database. The insert runs on the caller's tenant-scoped
connection (RLS on), so a tenant defines fields only for itself; the table's trigger bumps the tenant's
schema version, so the next compile sees the field with its classification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pavedroad.errors import InvalidInput
from pavedroad.query import CUSTOM_CLASSIFICATIONS, CUSTOM_TYPES

__all__ = ["CUSTOM_ENTITIES", "custom_classification", "define_custom_field"]

CUSTOM_ENTITIES = ("candidates", "applications", "jobs")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")
_INSERT = (
    "insert into custom_field_definitions (tenant_id, entity, key, label, field_type, options, classification)"
    " values (%s, %s, %s, %s, %s, %s, %s) returning id"
)


def _one_of(what: str, value: object, allowed: Sequence[str]) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise InvalidInput(f"unknown {what} {value!r}", code="C400", hint=f"expected one of {', '.join(allowed)}")
    return text


def custom_classification(value: object) -> str:
    """The classification a custom field is defined with, checked against the accepted values."""
    if value is None or not str(value).strip():
        raise InvalidInput(
            "a custom field needs a classification",
            code="C400",
            hint=f"choose one of {', '.join(CUSTOM_CLASSIFICATIONS)} (compensation: admins and recruiters only)",
        )
    return _one_of("classification", value, CUSTOM_CLASSIFICATIONS)


def define_custom_field(
    conn: Any,
    tenant_id: str,
    *,
    entity: str,
    key: str,
    label: str,
    field_type: str,
    classification: str,
    options: Sequence[str] = (),
) -> int:
    """Insert one definition on ``conn`` (inside ``tenancy.transaction``); return its id."""
    chosen = custom_classification(classification)
    entity = _one_of("entity", entity, CUSTOM_ENTITIES)
    field_type = _one_of("field type", field_type, tuple(CUSTOM_TYPES))
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            f"custom field key {key!r} is not valid", code="C400", hint="lower-case letters, digits and _, up to 63"
        )
    values = (tenant_id, entity, key, label or key, field_type, json.dumps(list(options)), chosen)
    row = conn.execute(_INSERT, values).fetchone()
    return int(row[0])
