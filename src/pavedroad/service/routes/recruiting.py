"""Recruiting API routes: thin adapters from HTTP to the recruiting domain."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from pavedroad import flags as feature_flags
from pavedroad import slo
from pavedroad.privacy import RowHidden, arecord_denial
from pavedroad.recruiting.demo import DEMO_FLAG
from pavedroad.recruiting.reads import get_application, list_jobs
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal, atransaction

router = APIRouter(prefix="/v1", tags=["recruiting"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


@router.get("/jobs", summary="List jobs (keyset-paginated)")
async def jobs(
    request: Request,
    principal: PrincipalDep,
    status: Annotated[Literal["draft", "open", "closed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict[str, Any]:
    async with atransaction(request.app.state.pool, principal) as conn:
        return await list_jobs(
            conn, principal, status=status, limit=limit, cursor=cursor, request_id=_request_id(request)
        )


@router.get("/applications/{application_id}", summary="Get one application")
async def application(
    request: Request, principal: PrincipalDep, application_id: Annotated[int, Path(ge=1, le=2**62)]
) -> dict[str, Any]:
    # The demo rollout gates this read path; its variant is the request's SLO cohort, which is what the
    # canary controller compares while the ramp moves (see recruiting/demo.py).
    variant = feature_flags.client().details(DEMO_FLAG, False, feature_flags.context_for(principal)).variant
    if variant is not None:
        slo.set_cohort(variant)
    try:
        async with atransaction(request.app.state.pool, principal) as conn:
            return await get_application(conn, principal, application_id, request_id=_request_id(request))
    except RowHidden as hidden:  # audited outside the rolled-back transaction, then a plain 404
        await arecord_denial(request.app.state.pool, hidden.audit)
        raise
