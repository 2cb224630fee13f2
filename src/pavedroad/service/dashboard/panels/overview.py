"""Overview panel: the tenant's pipeline at a glance (counts only, no personal data)."""

from __future__ import annotations

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.tenancy import Principal, atransaction

_COUNTS = (
    "select (select count(*) from jobs where status = 'open'),"
    " (select count(*) from applications where status = 'active'),"
    " (select count(*) from applications where status = 'hired'),"
    " (select count(*) from interviews where status = 'scheduled'),"
    " (select count(*) from offers where status = 'extended')"
)


async def render(request: Request, principal: Principal) -> PanelResult:
    async with atransaction(request.app.state.pool, principal) as conn:
        row = await (await conn.execute(_COUNTS)).fetchone()
    assert row is not None
    labels = ("open jobs", "active applications", "hires", "scheduled interviews", "offers out")
    return "panels/overview.html", {"counts": list(zip(labels, row, strict=True))}


register_panel(Panel("overview", "Overview", render, order=0, refresh_s=30))
