"""Audit: the tenant's newest data accesses and denials — who, what class of data, how many rows, outcome."""

from __future__ import annotations

from fastapi import Request

from pavedroad.privacy import audit_search_statements
from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.tenancy import Principal, Role, adrive, atransaction


async def render(request: Request, principal: Principal) -> PanelResult:
    async with atransaction(request.app.state.pool, principal) as conn:
        events = await adrive(conn, audit_search_statements(limit=30))
    return "panels/audit.html", {"events": events}


register_panel(
    Panel("audit", "Audit trail", render, roles=frozenset({Role.ADMIN, Role.COMPLIANCE}), order=60, refresh_s=10)
)
