"""Event pipeline status for a tenant's admins: their own outbox backlog and the components' heartbeats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from pavedroad.events import heartbeat_status
from pavedroad.service.auth import require_roles
from pavedroad.tenancy import Principal, Role, atransaction

router = APIRouter(prefix="/v1/events", tags=["events"])

AdminDep = Annotated[Principal, require_roles(Role.ADMIN)]


@router.get("/status", summary="Outbox backlog and relay lag (this tenant), consumer lag and dead letters")
async def status(request: Request, principal: AdminDep) -> dict[str, Any]:
    """Figures only: the tenant's undelivered events (row-level security scopes the count) and what the
    relay, sink and consumers last reported (platform-wide counts, no tenant data)."""
    async with atransaction(request.app.state.pool, principal) as conn:
        report = await heartbeat_status(conn)
    components = report["components"]
    report["consumer_lag"] = {c["component"]: c["backlog"] for c in components if c["kind"] in ("consumer", "sink")}
    report["dead_letters"] = sum(int(c["dead_letters"]) for c in components)
    relays = [c for c in components if c["kind"] == "relay"]
    report["outbox_backlog"] = max((int(c["backlog"]) for c in relays), default=None)
    report["relay_lag_seconds"] = max((float(c["lag_seconds"]) for c in relays), default=None)
    return report
