"""``/v1/workflows``: a tenant's admins list, inspect, retry, cancel and signal durable workflow runs.

Thin adapters to ``pavedroad.workflows`` (the path the CLI takes too): each call is one tenant
transaction for the caller's principal under row-level security, and retry, cancel and signal append
their events in it. Runs carry their inputs and outputs (which may name candidates), so only the
tenant's admins reach them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from pavedroad import workflows
from pavedroad.errors import Forbidden
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal, Role

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])


def admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """The caller, if a tenant admin (workflow runs hold personal inputs and outputs; automation rules
    start them). Shared by the workflow and automation routes, so the refusal names both."""
    if principal.role is not Role.ADMIN:
        raise Forbidden(
            "workflows and automation rules are for tenant admins", code="WF403", hint="use an admin key of the tenant"
        )
    return principal


AdminDep = Annotated[Principal, Depends(admin)]
WorkflowId = Annotated[str, Path(max_length=200, examples=["onboard:app-42"])]


@router.get("", summary="List the tenant's workflow runs, newest first (tenant admins)")
async def list_runs(
    request: Request,
    principal: AdminDep,
    status: Annotated[str | None, Query(max_length=20, examples=["failed"])] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    return {"runs": await workflows.list_runs(request.app.state.pool, principal, status=status, limit=limit)}


@router.get("/{workflow_id}", summary="One run with its input, output and steps (tenant admins)")
async def show(request: Request, principal: AdminDep, workflow_id: WorkflowId) -> dict[str, Any]:
    return await workflows.get(request.app.state.pool, principal, workflow_id)


@router.post("/{workflow_id}/retry", summary="Queue a failed or cancelled run again (tenant admins)")
async def retry(request: Request, principal: AdminDep, workflow_id: WorkflowId) -> dict[str, Any]:
    await workflows.retry(request.app.state.pool, principal, workflow_id)
    return {"workflow_id": workflow_id, "status": "queued"}


@router.post("/{workflow_id}/cancel", summary="Cancel a run (tenant admins)")
async def cancel(request: Request, principal: AdminDep, workflow_id: WorkflowId) -> dict[str, Any]:
    status = await workflows.cancel(request.app.state.pool, principal, workflow_id)
    return {"workflow_id": workflow_id, "status": status}


@router.post("/{workflow_id}/signals/{name}", summary="Send a signal a run awaits (once per name; tenant admins)")
async def signal(
    request: Request,
    principal: AdminDep,
    workflow_id: WorkflowId,
    name: Annotated[str, Path(max_length=100, examples=["feedback"])],
    payload: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    delivered = await workflows.signal(request.app.state.pool, principal, workflow_id, name, payload=payload)
    return {"workflow_id": workflow_id, "signal": name, "delivered": delivered}
