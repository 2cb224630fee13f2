"""SLOs: objective, SLI, budget remaining, burn rates, firing alerts, and two charts per SLO.

The charts cover the span that has data (up to the SLO period) in about ``POINTS`` steps of at least
``MIN_STEP_S``, so a fresh deployment shows a curve within its first minute. The SLI chart's y-axis
always includes the objective (the line that matters is on the chart, however good the SLI); the
burn-down starts at the full budget and only falls (``slo.reports.burndown``).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.routes import slo as slo_routes
from pavedroad.slo import SLO, burndown, burndown_query
from pavedroad.tenancy import Principal

POINTS = 300
MIN_STEP_S = 10.0  # the recorder's slice length: no finer step has data


async def _buckets(request: Request, slo: SLO, since: float, now: float, step_s: float) -> list[tuple[float, int, int]]:
    rows = await slo_routes._fetch(request.app.state.pool, *burndown_query(slo, since, now, step_s))
    return [(float(r[0]), int(r[1]), int(r[2])) for r in rows]


async def _charts(request: Request, slo: SLO, now: float) -> tuple[str, str]:
    """The SLI-vs-objective and burn-down chart specs (JSON for ``data-series``), or ``""`` without data."""
    coarse = max(MIN_STEP_S, math.ceil(slo.period_s / POINTS))
    found = await _buckets(request, slo, now - slo.period_s, now, coarse)
    if not found:
        return "", ""
    start = max(found[0][0], now - slo.period_s)
    step = max(MIN_STEP_S, math.ceil((now - start) / POINTS))
    buckets = found if step >= coarse else await _buckets(request, slo, start - step, now, step)
    series = burndown(slo, buckets, since=start - step)
    if not series:
        return "", ""
    first = float(series[0]["t"] or 0.0)
    x = [first - step, *(float(p["t"] or 0.0) for p in series)]  # the burn-down starts at the full budget
    remaining = [1.0, *(round(p["remaining"] or 0.0, 4) for p in series)]
    sli = [None, *(None if p["sli"] is None else round(p["sli"], 6) for p in series)]
    lowest = min([slo.objective, *(v for v in sli if v is not None)])
    pad = max((1.0 - lowest) * 0.1, 1e-4)
    sli_chart: dict[str, Any] = {
        "x": x, "ylabel": "SLI", "yrange": [max(0.0, lowest - pad), 1.0],
        "series": [{"label": "SLI (since start)", "values": sli},
                   {"label": "objective", "values": [slo.objective] * len(x), "dash": True}],
    }  # fmt: skip
    budget_chart: dict[str, Any] = {
        "x": x, "ylabel": "share of budget", "yrange": [min(0.0, *remaining), 1.0],
        "series": [{"label": "budget remaining", "values": remaining}],
    }  # fmt: skip
    return json.dumps(sli_chart), json.dumps(budget_chart)


async def render(request: Request, principal: Principal) -> PanelResult:
    report = await slo_routes.slo_status(request, principal, tenant=None)
    specs = {s.slo_id: s for s in slo_routes._specs(request)}
    now = time.time()
    charts = [await _charts(request, specs[item["slo_id"]], now) for item in report["slos"]]
    return "panels/slos.html", {"report": report, "charts": charts}


register_panel(Panel("slos", "SLOs and error budgets", render, order=30, refresh_s=15, wide=True))
