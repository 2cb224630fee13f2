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
from fastapi.responses import JSONResponse

from pavedroad.recruiting import custom_fields, reads
from pavedroad.service.auth import current_principal
from pavedroad.service.routes.recruiting_writes import IdempotencyKey, idempotent_write
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


@router.post("", status_code=201, summary="Define a custom field with its classification (tenant admins)")
async def define(
    request: Request,
    principal: PrincipalDep,
    body: custom_fields.NewCustomField,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, Any]:
        return await custom_fields.adefine_custom_field(conn, principal, body)

    return await idempotent_write(request, principal, idempotency_key, body, command, status=201)


@router.patch("/{entity}/{key}", summary="Relabel or reclassify a custom field (tenant admins)")
async def change(
    request: Request,
    principal: PrincipalDep,
    *,
    entity: Entity,
    key: Key,
    body: custom_fields.CustomFieldChange,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: psycopg.AsyncConnection) -> dict[str, Any]:
        return await custom_fields.areclassify_custom_field(conn, principal, entity, key, body)

    return await idempotent_write(request, principal, idempotency_key, body, command, status=200)
