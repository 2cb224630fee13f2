"""Prometheus exposition: the app's own registry (SLO recorder histograms) plus the process-wide one."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from pavedroad.observability import GLOBAL_REGISTRY, new_registry
from pavedroad.observability import render_metrics as render

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Prometheus metrics (text exposition)", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None) or new_registry()
    body, content_type = render(registry, GLOBAL_REGISTRY)
    return Response(body, media_type=content_type)
