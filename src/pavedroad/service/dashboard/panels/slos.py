"""SLOs: objective, SLI, budget remaining, burn rates, firing alerts, and a budget burn-down chart."""

from __future__ import annotations

import json

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.routes import slo as slo_routes
from pavedroad.tenancy import Principal


async def render(request: Request, principal: Principal) -> PanelResult:
    report = await slo_routes.slo_status(request, principal, tenant=None)
    charts = []
    for item in report["slos"]:
        # The finest step the route allows (period / 5000), so a fresh deployment shows a curve within minutes.
        step_s = max(60, int(item.get("period_s") or 30 * 86400) // 5000 + 1)
        burn = await slo_routes.slo_burndown(request, principal, item["slo_id"], step=f"{step_s}s", tenant=None)
        points = [p for p in burn["series"] if p["remaining"] is not None]
        series = {
            "x": [p["t"] for p in points],
            "series": [{"label": "budget remaining", "values": [round(p["remaining"] or 0.0, 4) for p in points]}],
            "ylabel": "share of budget",
        }
        charts.append(json.dumps(series) if len(points) >= 2 else "")
    return "panels/slos.html", {"report": report, "charts": charts}


register_panel(Panel("slos", "SLOs and error budgets", render, order=30, refresh_s=15, wide=True))
