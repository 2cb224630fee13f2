"""Tenant custom fields overlaid on the semantic model at compile time, with no per-tenant rebuild.

A tenant's ``custom_field_definitions`` become typed fields ``custom.<key>`` on their entity, read from
the entity's JSONB ``custom_fields_column`` with the right cast. ``TenantSchema`` carries the tenant's
``schema_version`` (bumped by a trigger whenever definitions change), which keys both the overlay cache
and the compiled-query cache, so a stale overlay is never served.

Each definition carries the classification chosen when it was defined: a label of the registry
(``public`` … ``sensitive``) or a restricted category (``compensation``: confidential, and only the roles
the access matrix lists for the category may use it). The overlaid field carries both, so the policy
port judges it exactly like a model field; a classification this module does not know fails closed
(``sensitive`` under a category no policy grants).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pavedroad.query.ir import FieldRef
from pavedroad.query.model import Classification, SemanticModel
from pavedroad.tenancy import Execute, SqlSteps, adrive, drive

__all__ = [
    "CUSTOM_CLASSIFICATIONS",
    "RESTRICTED_CATEGORIES",
    "CustomField",
    "TenantSchema",
    "aload_tenant_schema",
    "custom_fields",
    "custom_label",
    "load_tenant_schema",
    "schema_statements",
]

# custom_field_definitions.field_type ─► query type (a multi_select is a list of text: use contains()).
CUSTOM_TYPES: dict[str, str] = {
    "text": "string", "single_select": "string", "number": "number", "date": "date", "boolean": "bool",
    "multi_select": "list",
}  # fmt: skip


# A restricted category ─► the registry label its fields carry (the roles come from the access matrix).
RESTRICTED_CATEGORIES: dict[str, Classification] = {"compensation": Classification.confidential}
# Every classification a custom field may be defined with (the table's CHECK constraint lists the same).
CUSTOM_CLASSIFICATIONS: tuple[str, ...] = (*(c.name for c in Classification), *RESTRICTED_CATEGORIES)


def custom_label(classification: str) -> tuple[Classification, str | None]:
    """The registry label and restricted category of a custom field's classification (fails closed)."""
    if classification in Classification.__members__:
        return Classification[classification], None
    if classification in RESTRICTED_CATEGORIES:
        return RESTRICTED_CATEGORIES[classification], classification
    return Classification.sensitive, f"unknown:{classification}"


@dataclass(frozen=True, slots=True)
class CustomField:
    """A tenant's custom field; ``classification`` is one of ``CUSTOM_CLASSIFICATIONS`` (required)."""

    entity: str
    key: str
    field_type: str
    classification: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class TenantSchema:
    """What the compiler needs to know about one tenant (read through ``tenancy.transaction``)."""

    tenant_id: str
    schema_version: int = 1
    time_zone: str = "UTC"
    custom: tuple[CustomField, ...] = field(default=())
    # Hash of the definitions, computed once: cache keys use it beside schema_version, so two schemas that
    # claim the same version with different fields (tests, hand-built schemas) never share an overlay.
    digest: int = field(init=False, compare=False, repr=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hash(self.custom))


_CACHE: OrderedDict[tuple[str, str, int, int], dict[str, dict[str, FieldRef]]] = OrderedDict()
_CACHE_SIZE = 1024


def custom_fields(model: SemanticModel, schema: TenantSchema) -> dict[str, dict[str, FieldRef]]:
    """entity ─► key ─► FieldRef for the tenant's custom fields; cached by (model, tenant, schema_version)."""
    key = (model.fingerprint, schema.tenant_id, schema.schema_version, schema.digest)
    found = _CACHE.get(key)
    if found is not None:
        return found
    out: dict[str, dict[str, FieldRef]] = {}
    for cf in schema.custom:
        ent = model.entities.get(cf.entity)
        if ent is None or ent.custom_fields_column is None:
            continue
        label, category = custom_label(cf.classification)
        out.setdefault(cf.entity, {})[cf.key] = FieldRef(
            entity=cf.entity,
            name=f"custom.{cf.key}",
            column=ent.custom_fields_column,
            type=CUSTOM_TYPES.get(cf.field_type, "json"),
            classification=int(label),
            nullable=True,
            json_key=cf.key,
            category=category,
        )
    _CACHE[key] = out
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


_VERSION_SQL = "select schema_version, time_zone from tenants where tenant_id = %s"
_FIELDS_SQL = (
    "select entity, key, field_type, classification, label from custom_field_definitions"
    " where tenant_id = %s order by entity, key"
)
# (database, tenant, schema_version) ─► schema: definitions are re-read only when the version moves. The
# database is part of the key: two databases holding the same tenant id at the same version (shards, test
# databases) must never share definitions, whose classifications decide who may read a field.
_SCHEMAS: OrderedDict[tuple[str, str, int], TenantSchema] = OrderedDict()


def _database(conn: Any) -> str:
    info = conn.info
    return f"{info.host}:{info.port}/{info.dbname}"


def _remember(where: str, schema: TenantSchema) -> TenantSchema:
    _SCHEMAS[(where, schema.tenant_id, schema.schema_version)] = schema
    if len(_SCHEMAS) > _CACHE_SIZE:
        _SCHEMAS.popitem(last=False)
    return schema


def schema_statements(tenant_id: str, database: str) -> SqlSteps[TenantSchema]:
    """Read the tenant's time zone, schema version and custom fields (``database`` keys the cache: see
    ``_SCHEMAS``); for ``tenancy.drive``/``adrive`` on a tenant-scoped connection (RLS on). One small query
    per call; the definitions are read again only when ``tenants.schema_version`` has moved."""
    found = yield Execute(_VERSION_SQL, (tenant_id,), fetch=True)
    if not found:
        return TenantSchema(tenant_id)
    version, time_zone = int(found[0]["schema_version"]), str(found[0]["time_zone"])
    known = _SCHEMAS.get((database, tenant_id, version))
    if known is not None and known.time_zone == time_zone:
        return known
    defs = yield Execute(_FIELDS_SQL, (tenant_id,), fetch=True)
    return _remember(database, TenantSchema(tenant_id, version, time_zone, tuple(CustomField(**d) for d in defs)))


def load_tenant_schema(conn: psycopg.Connection, tenant_id: str) -> TenantSchema:
    """``schema_statements`` inside the caller's sync ``tenancy.transaction`` (tools, warehouse copies)."""
    return drive(conn, schema_statements(tenant_id, _database(conn)))


async def aload_tenant_schema(conn: psycopg.AsyncConnection, tenant_id: str) -> TenantSchema:
    """``schema_statements`` inside the caller's ``tenancy.atransaction`` (every query's path)."""
    return await adrive(conn, schema_statements(tenant_id, _database(conn)))
