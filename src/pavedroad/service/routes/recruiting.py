"""Recruiting API routes: thin adapters from HTTP to the recruiting domain."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from pavedroad.recruiting.reads import get_application, list_jobs
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal, atransaction

router = APIRouter(prefix="/v1", tags=["recruiting"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]


@router.get("/jobs", summary="List jobs (keyset-paginated)")
async def jobs(
    request: Request,
    principal: PrincipalDep,
    status: Annotated[Literal["draft", "open", "closed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict[str, Any]:
    async with atransaction(request.app.state.pool, principal) as conn:
        return await list_jobs(conn, principal.tenant_id, status=status, limit=limit, cursor=cursor)


@router.get("/applications/{application_id}", summary="Get one application")
async def application(
    request: Request, principal: PrincipalDep, application_id: Annotated[int, Path(ge=1, le=2**62)]
) -> dict[str, Any]:
    async with atransaction(request.app.state.pool, principal) as conn:
        return await get_application(conn, principal.tenant_id, application_id)
