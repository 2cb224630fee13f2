"""SLO API for the dashboard: status, worst routes, burndown series; and the recorder's installation.

Service-wide figures are route templates and counts, not tenant data, so any authenticated principal
may read them; a per-tenant view is only ever the caller's own tenant. ``top`` ranks the API's routes
(``API_ROUTES``) only: the dashboard's pages, static files, docs and probes are not API calls; API SLOs
select the same routes with ``route_prefix`` in their spec.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import Forbidden, InvalidInput, NotFound
from pavedroad.observability import new_registry
from pavedroad.service.auth import current_principal
from pavedroad.settings import Settings
from pavedroad.slo import (
    SLO,
    Counts,
    Recorder,
    burndown,
    burndown_query,
    counts_query,
    decode_counts,
    decode_top,
    format_duration,
    instrument,
    load_specs,
    parse_duration,
    rank,
    status,
    status_windows,
    top_query,
)
from pavedroad.tenancy import Principal

__all__ = ["install", "router"]

SERVICE = "recruiting"
API_ROUTES = "/v1/"  # the API's route templates; dashboard pages, static files, docs and probes are not API calls
router = APIRouter(prefix="/v1/slo", tags=["slo"])
PrincipalDep = Annotated[Principal, Depends(current_principal)]


def install(app: FastAPI, settings: Settings) -> Recorder:
    """Record every request of ``app`` (labelled with ``settings.deploy_version``) and load its SLOs."""
    registry = getattr(app.state, "metrics_registry", None) or new_registry()
    app.state.metrics_registry = registry
    spec = resources.files("pavedroad.recruiting").joinpath("slos.yaml")
    with resources.as_file(spec) as path:
        app.state.slo_specs = load_specs(path)
    return instrument(app, Recorder(SERVICE, settings.deploy_version), registry)


def _specs(request: Request) -> list[SLO]:
    return [s for s in getattr(request.app.state, "slo_specs", []) if s.sli is not None]


def _tenant(principal: Principal, tenant: str | None) -> str | None:
    if tenant is not None and tenant != principal.tenant_id:
        raise Forbidden("you may only see your own tenant's SLOs", hint=f"use tenant={principal.tenant_id} or omit it")
    return tenant


def _span(text: str, name: str, low: float, high: float) -> float:
    """A duration parameter within bounds (``InvalidInput`` naming the bounds otherwise)."""
    seconds = parse_duration(text)
    if not low <= seconds <= high:
        raise InvalidInput(
            f"{name}={text} is out of range",
            code="SLO112",
            hint=f"use between {format_duration(low)} and {format_duration(high)}",
        )
    return seconds


async def _fetch(pool: AsyncConnectionPool, text: str, params: list[Any]) -> list[Any]:
    async with pool.connection() as conn:
        return await (await conn.execute(text, params)).fetchall()


@router.get("/status", summary="Budgets, burn rates and firing alerts of every SLO")
async def slo_status(
    request: Request, principal: PrincipalDep, tenant: Annotated[str | None, Query(max_length=64)] = None
) -> dict[str, Any]:
    tenant = _tenant(principal, tenant)
    now = time.time()
    out = []
    for slo in _specs(request):
        windows = status_windows(slo)
        scoped = slo.model_copy(update={"per_tenant": tenant is not None})
        per = decode_counts(await _fetch(request.app.state.pool, *counts_query(scoped, now, windows)), windows)
        counts = per.get(tenant or "", {w: Counts() for w in windows})
        slices = None
        if slo.budgeting != "Occurrences" and slo.timeslice_s:
            rows = await _fetch(
                request.app.state.pool, *burndown_query(slo, now - slo.period_s, now, slo.timeslice_s, tenant)
            )
            slices = [Counts(int(r[1]), int(r[2])) for r in rows]
        item = status(slo, counts, now=now, tenant=tenant or "", slices=slices).as_dict()
        out.append({**item, "name": slo.name, "description": slo.description})
    return {"at": now, "slos": out}


@router.get("/top", summary="API routes ranked by p99, p95, p50, error rate or volume over a window")
async def slo_top(
    request: Request,
    principal: PrincipalDep,
    *,
    by: Annotated[Literal["p99", "p95", "p50", "p999", "error_rate", "total", "mean"], Query()] = "p99",
    window: Annotated[str, Query(max_length=16, description="e.g. 5m, 1h, 1d")] = "1h",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    min_events: Annotated[int, Query(ge=1)] = 1,
    tenant: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    tenant = _tenant(principal, tenant)
    now = time.time()
    since = now - _span(window, "window", 1, 90 * 86400)
    query = top_query(since, now, service=SERVICE, tenant=tenant, route_prefix=API_ROUTES)
    rows = decode_top(await _fetch(request.app.state.pool, *query))
    return {
        "at": now,
        "by": by,
        "window": window,
        "routes": [e.as_dict() for e in rank(rows, by, limit=limit, min_events=min_events)],
    }


@router.get("/{name}/burndown", summary="Remaining error budget over the SLO period, for a chart")
async def slo_burndown(
    request: Request,
    principal: PrincipalDep,
    name: Annotated[str, Path(max_length=128)],
    step: Annotated[str, Query(max_length=16)] = "1h",
    tenant: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    tenant = _tenant(principal, tenant)
    found = [s for s in _specs(request) if name in (s.name, s.slo_id)]
    if not found:
        known = ", ".join(s.name for s in _specs(request))
        raise NotFound(f"no SLO named '{name}'", hint=f"known SLOs: {known}")
    slo, now = found[0], time.time()
    since = now - slo.period_s
    step_s = _span(step, "step", max(10.0, slo.period_s / 5000), slo.period_s)  # at most 5000 points
    rows = await _fetch(request.app.state.pool, *burndown_query(slo, since, now, step_s, tenant))
    series = burndown(slo, [(float(r[0]), int(r[1]), int(r[2])) for r in rows], since=since - step_s)
    return {"slo": slo.slo_id, "objective": slo.objective, "period_s": slo.period_s, "series": series}
