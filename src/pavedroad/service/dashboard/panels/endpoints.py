"""Endpoints: p50/p95/p99 and error rate per route over the last hour, worst p99 first."""

from __future__ import annotations

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.routes import slo as slo_routes
from pavedroad.tenancy import Principal


async def render(request: Request, principal: Principal) -> PanelResult:
    top = await slo_routes.slo_top(request, principal, by="p99", window="1h", limit=15, min_events=1, tenant=None)
    return "panels/endpoints.html", {"top": top}


register_panel(Panel("endpoints", "Endpoints (last hour, worst p99 first)", render, order=20, refresh_s=10))
