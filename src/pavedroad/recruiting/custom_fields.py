"""Defining a tenant's custom fields: each one is classified when it is defined, never by default.

Guarantees of ``define_custom_field``: the classification is required and must be one of
``query.overlay.CUSTOM_CLASSIFICATIONS`` (the registry's labels plus restricted categories such as
``compensation``), the entity, key and type are checked the same way, and a bad value is a 400 naming the
accepted values — before anything reaches the database. The insert runs on the caller's tenant-scoped
connection (RLS on), so a tenant defines fields only for itself; the table's trigger bumps the tenant's
schema version, so the next compile sees the field with its classification.

The tenant-facing commands (``alist_custom_fields``, ``adefine_custom_field``, ``areclassify_custom_field``)
are the one path HTTP (``/v1/custom-fields``) and the CLI (``pavedroad custom-fields``) take: only a tenant
admin defines or changes a field, each change appends its event to the outbox in the same transaction, and
a listing shows a role only the fields the compiler would let it read (a field it may not read is unknown).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from pavedroad.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from pavedroad.events import aappend
from pavedroad.query import CUSTOM_CLASSIFICATIONS, CUSTOM_TYPES, FieldPolicy, FieldUse, custom_label
from pavedroad.recruiting.events import CustomFieldChanged, CustomFieldDefined
from pavedroad.tenancy import Principal, Role

__all__ = [
    "CUSTOM_ENTITIES",
    "CustomFieldChange",
    "NewCustomField",
    "adefine_custom_field",
    "alist_custom_fields",
    "areclassify_custom_field",
    "custom_classification",
    "define_custom_field",
    "readable",
]

CUSTOM_ENTITIES = ("candidates", "applications", "jobs")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")
_INSERT_VALUES = (
    "insert into custom_field_definitions (tenant_id, entity, key, label, field_type, options, classification)"
    " values (%s, %s, %s, %s, %s, %s, %s)"
)
_INSERT = f"{_INSERT_VALUES} returning id"


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


def _validated(entity: str, key: str, field_type: str, classification: object) -> tuple[str, str, str, str]:
    """(entity, key, field type, classification) checked and normalised, or a 400 naming the choices."""
    chosen = custom_classification(classification)
    entity = _one_of("entity", entity, CUSTOM_ENTITIES)
    field_type = _one_of("field type", field_type, tuple(CUSTOM_TYPES))
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            f"custom field key {key!r} is not valid", code="C400", hint="lower-case letters, digits and _, up to 63"
        )
    return entity, key, field_type, chosen


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
    """Insert one definition on ``conn`` (inside ``tenancy.transaction``); return its id.

    The seeding primitive (fixtures, data loads): no role check and no event. A tenant's users go through
    ``adefine_custom_field``, which validates with the same ``_validated``."""
    entity, key, field_type, chosen = _validated(entity, key, field_type, classification)
    values = (tenant_id, entity, key, label or key, field_type, json.dumps(list(options)), chosen)
    row = conn.execute(_INSERT, values).fetchone()
    return int(row[0])


# --- the tenant-facing commands (HTTP and CLI) ----------------------------------------------------------

_COLUMNS = "id, entity, key, label, field_type, options, classification, created_at"
_SELECT = f"select {_COLUMNS} from custom_field_definitions where tenant_id = %s"
_INSERT_RETURNING = f"{_INSERT_VALUES} returning {_COLUMNS}"


class NewCustomField(BaseModel):
    """A definition as a tenant admin sends it; the values are checked by ``adefine_custom_field`` (400s
    that name the choices), so only the shape is checked here."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "entity": "applications",
                    "key": "expected_salary",
                    "label": "Expected salary",
                    "field_type": "number",
                    "classification": "compensation",
                }
            ]
        },
    )
    entity: str = Field(max_length=64, description=f"One of {', '.join(CUSTOM_ENTITIES)}.")
    key: str = Field(max_length=100, description="Lower-case letters, digits and _; queried as custom.<key>.")
    label: str = Field(default="", max_length=200)
    field_type: str = Field(max_length=32, description=f"One of {', '.join(CUSTOM_TYPES)}.")
    classification: str | None = Field(
        default=None, max_length=32, description=f"Required: one of {', '.join(CUSTOM_CLASSIFICATIONS)}."
    )
    options: list[str] = Field(default_factory=list, max_length=200)


class CustomFieldChange(BaseModel):
    """A new label and/or classification for an existing field (at least one)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [{"classification": "compensation"}]}
    )
    label: str | None = Field(default=None, min_length=1, max_length=200)
    classification: str | None = Field(default=None, max_length=32)


def readable(policy: FieldPolicy, role: str, entity: str, key: str, classification: str) -> bool:
    """May ``role`` read ``custom.<key>``? The very question the compiler's policy pass asks of the overlaid
    field (``FieldUse`` with its label and restricted category), so a listing never shows more than a query
    could read."""
    label, category = custom_label(classification)
    return policy.allows(role, FieldUse(entity, f"custom.{key}", label, True, category))


def _as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    names = ("id", "entity", "key", "label", "field_type", "options", "classification", "created_at")
    return dict(zip(names, row, strict=True))


def _admin_only(principal: Principal, action: str) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden(
            f"role '{principal.role.value}' may not {action}", hint="only a tenant admin defines or changes fields"
        )


async def alist_custom_fields(
    conn: psycopg.AsyncConnection, principal: Principal, policy: FieldPolicy
) -> list[dict[str, Any]]:
    """The tenant's definitions the caller's role may read, by entity and key."""
    rows = await (await conn.execute(f"{_SELECT} order by entity, key", (principal.tenant_id,))).fetchall()
    fields = [_as_dict(r) for r in rows]
    return [f for f in fields if readable(policy, principal.role.value, f["entity"], f["key"], f["classification"])]


async def adefine_custom_field(
    conn: psycopg.AsyncConnection, principal: Principal, new: NewCustomField, *, at: datetime | None = None
) -> dict[str, Any]:
    """Define a field for the caller's tenant (admins only) and append ``custom_field_defined``."""
    _admin_only(principal, "define custom fields")
    entity, key, field_type, chosen = _validated(new.entity, new.key, new.field_type, new.classification)
    tenant = principal.tenant_id
    taken = await (
        await conn.execute(
            "select 1 from custom_field_definitions where tenant_id = %s and entity = %s and key = %s",
            (tenant, entity, key),
        )
    ).fetchone()
    if taken is not None:
        raise Conflict(
            f"{entity} already has a custom field '{key}'",
            hint=f"change its label or classification with PATCH /v1/custom-fields/{entity}/{key}",
        )
    values = (tenant, entity, key, new.label or key, field_type, json.dumps(new.options), chosen)
    try:
        row = await (await conn.execute(_INSERT_RETURNING, values)).fetchone()
    except psycopg.errors.UniqueViolation:  # defined concurrently by another request
        raise Conflict(f"{entity} already has a custom field '{key}'") from None
    field = _as_dict(present(row, "the new custom field row"))
    now = at or datetime.now(UTC)
    event = CustomFieldDefined(
        definition_id=field["id"],
        entity=entity,
        key=key,
        label=field["label"],
        field_type=field_type,
        classified_as=chosen,
        defined_by=principal.user_id,
        defined_at=now,
    )
    await aappend(conn, event.to_event(tenant, aggregate_id=field["id"], occurred_at=now))
    return field


async def areclassify_custom_field(
    conn: psycopg.AsyncConnection,
    principal: Principal,
    entity: str,
    key: str,
    change: CustomFieldChange,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Relabel and/or reclassify a field (admins only) and append ``custom_field_changed``.

    The table's trigger bumps the tenant's schema version in the same transaction, so no cached overlay or
    compiled query serves the old decision once this commits. An unchanged field is not written."""
    _admin_only(principal, "change custom fields")
    if change.label is None and change.classification is None:
        raise InvalidInput("nothing to change", code="C400", hint="send a label, a classification or both")
    chosen = None if change.classification is None else custom_classification(change.classification)
    tenant = principal.tenant_id
    row = await (
        await conn.execute(f"{_SELECT} and entity = %s and key = %s for update", (tenant, entity, key))
    ).fetchone()
    if row is None:
        raise NotFound(f"no custom field '{key}' on {entity}", hint="list them with GET /v1/custom-fields")
    before = _as_dict(row)
    label, classification = change.label or before["label"], chosen or before["classification"]
    if (label, classification) == (before["label"], before["classification"]):
        return before
    row = await (
        await conn.execute(
            "update custom_field_definitions set label = %s, classification = %s"
            f" where tenant_id = %s and id = %s returning {_COLUMNS}",
            (label, classification, tenant, before["id"]),
        )
    ).fetchone()
    after = _as_dict(present(row, "the changed custom field row"))
    now = at or datetime.now(UTC)
    event = CustomFieldChanged(
        definition_id=after["id"],
        entity=after["entity"],
        key=after["key"],
        label=label,
        previous_label=before["label"],
        classified_as=classification,
        previously_classified_as=before["classification"],
        changed_by=principal.user_id,
        changed_at=now,
    )
    await aappend(conn, event.to_event(tenant, aggregate_id=after["id"], occurred_at=now))
    return after
