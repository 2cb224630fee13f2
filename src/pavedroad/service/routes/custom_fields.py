"""``/v1/custom-fields``: a tenant's admins define and reclassify custom fields; every role lists the ones
it may read. Thin adapters to ``recruiting.custom_fields`` (the path the CLI takes too); writes run in one
tenant transaction with their outbox event and honour ``Idempotency-Key`` like every write route.

Retiring a field is deliberately not offered: its values stay in the rows' JSONB, so a key defined again
later under a lower classification would expose values stored under the old one.
"""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Path, Request

from pavedroad.recruiting import custom_fields, reads
from pavedroad.service.auth import current_principal
from pavedroad.service.writes import idempotent_write
from pavedroad.tenancy import Principal, atransaction

router = APIRouter(prefix="/v1/custom-fields", tags=["custom fields"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]
Entity = Annotated[str, Path(max_length=64, examples=["applications"])]
Key = Annotated[str, Path(max_length=100, examples=["expected_salary"])]
# The policy the guardrails judge every query with: a listing shows exactly what a query could read.
POLICY = reads.GUARDRAILS.field_policy()


@router.get("", summary="List the tenant's custom fields your role may read")
async def list_fields(request: Request, principal: PrincipalDep) -> dict[str, Any]:
    async with atransaction(request.app.state.pool, principal) as conn:
        return {"fields": await custom_fields.alist_custom_fields(conn, principal, POLICY)}


@idempotent_write(router.post, "", status_code=201,
                  summary="Define a custom field with its classification (tenant admins)")  # fmt: skip
async def define(conn: psycopg.AsyncConnection, principal: Principal, body: custom_fields.NewCustomField) -> Any:
    return await custom_fields.adefine_custom_field(conn, principal, body)


@idempotent_write(router.patch, "/{entity}/{key}", summary="Relabel or reclassify a custom field (tenant admins)")
async def change(
    conn: psycopg.AsyncConnection, principal: Principal, entity: Entity, key: Key, body: custom_fields.CustomFieldChange
) -> Any:
    return await custom_fields.areclassify_custom_field(conn, principal, entity, key, body)
