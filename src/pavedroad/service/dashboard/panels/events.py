"""Events: outbox backlog, relay lag, consumer lag per consumer, dead letters (admins)."""

from __future__ import annotations

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.routes import events as events_routes
from pavedroad.tenancy import Principal, Role


async def render(request: Request, principal: Principal) -> PanelResult:
    return "panels/events.html", {"report": await events_routes.status(request, principal)}


register_panel(Panel("events", "Event pipeline", render, roles=frozenset({Role.ADMIN}), order=50, refresh_s=5))
