"""Endpoints: p50/p95/p99 and error rate per API route over the last hour, worst p99 first.

The table is about the API: only routes under ``API_ROUTES`` (``/v1/``) are ranked, so the dashboard's
own pages, static files, docs and probes are left out, and requests no route matched are one "unmatched"
row under the ranking, whatever their method. The recorder keeps route templates only, never raw paths, so no
id or personal value from a URL can show here.
"""

from __future__ import annotations

import time

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.routes.slo import API_ROUTES, SERVICE, _fetch
from pavedroad.slo import UNMATCHED_ROUTE as UNMATCHED
from pavedroad.slo import LogSketch, TopRow, decode_top, rank, top_query
from pavedroad.tenancy import Principal

WINDOW_S = 3600.0
SHOWN = 15


def _unmatched(rows: list[TopRow]) -> TopRow | None:
    """Every request no route matched, over all methods, as one row."""
    if not rows:
        return None
    sketch = LogSketch()
    for row in rows:
        sketch.merge(row.sketch)
    return TopRow(SERVICE, UNMATCHED, "", "", sum(r.total for r in rows), sum(r.bad for r in rows), sketch)


async def render(request: Request, principal: Principal) -> PanelResult:
    now = time.time()
    rows = decode_top(await _fetch(request.app.state.pool, *top_query(now - WINDOW_S, now, service=SERVICE)))
    api = [r for r in rows if r.route.startswith(API_ROUTES)]
    unmatched = _unmatched([r for r in rows if r.route == UNMATCHED])
    return "panels/endpoints.html", {
        "routes": [e.as_dict() for e in rank(api, "p99", limit=SHOWN)],
        "unmatched": rank([unmatched])[0].as_dict() if unmatched is not None else None,
    }


register_panel(Panel("endpoints", "Endpoints (last hour, worst p99 first)", render, order=20, refresh_s=10))
