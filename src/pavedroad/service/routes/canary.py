"""Canary routes: decisions for the dashboard, and a verdict endpoint for Argo Rollouts and Flagger.

* ``GET  /v1/canary``                       last decision per rollout (+ the live controller's status)
* ``GET  /v1/canary/{rollout}/decisions``   recent decisions with every test's numbers ("explain")
* ``POST /v1/canary/{rollout}/pause|resume`` an operator steps in (needs the controller in this process)
* ``POST /v1/canary/verdict``               judge baseline vs canary cohorts now (Argo web metric)
* ``POST /v1/canary/webhooks/flagger``      the same verdict as a Flagger webhook (non-2xx = failed check)

Decisions are platform data: admins only, and per-tenant gate results of *other* tenants are removed.
Pausing or resuming a rollout changes it for every tenant: a platform operator key only (403 for any
tenant key), recorded in ``pavedroad_meta.platform_audit``.
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pavedroad.canary import CohortSpec, Policy, SloSlicesSource, judge, latest_per_rollout
from pavedroad.canary import recent_decisions as recent
from pavedroad.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from pavedroad.service.auth import require_operator, require_roles
from pavedroad.tenancy import Operator, Principal, Role, arecord_platform_action, authenticate

router = APIRouter(prefix="/v1/canary", tags=["canary"])

AdminDep = Annotated[Principal, require_roles(Role.ADMIN)]
OperatorDep = Annotated[Operator, require_operator()]
_WINDOW = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_WINDOW_S = 7 * 86400
LABEL = r"^[^\x00-\x1f\x7f]+$"  # any printable label; control characters (NUL!) never reach Postgres
_TENANT_GATE = re.compile(r"tenant_burn:([A-Za-z0-9_-]+)")


def _own_view(decision: dict[str, Any], tenant: str) -> dict[str, Any]:
    """Drop other tenants' per-tenant gate results, and their ids from the reason: tenant names and burn
    rates are theirs (the reason of a rollback tripped by another tenant's gate names only the gate)."""
    results = decision.get("results") or []
    own = f"tenant_burn:{tenant}"
    kept = [r for r in results if not str(r.get("metric", "")).startswith("tenant_burn:") or r["metric"] == own]
    view = {**decision, "results": kept}
    if isinstance(decision.get("reason"), str):
        view["reason"] = _TENANT_GATE.sub(
            lambda m: m.group(0) if m.group(1) == tenant else "tenant_burn:(another tenant)", decision["reason"]
        )
    return view


@router.get("", summary="Last decision of every guarded rollout")
async def canary_status(request: Request, principal: AdminDep) -> dict[str, Any]:
    rows = await latest_per_rollout(request.app.state.pool)
    controller = getattr(request.app.state, "canary_controller", None)
    live = controller.status() if controller is not None else []
    return {
        "rollouts": [_own_view(r, principal.tenant_id) for r in rows],
        "controller": [
            {**s, "last_decision": s["last_decision"] and _own_view(s["last_decision"], principal.tenant_id)}
            for s in live
        ],
    }


@router.get("/{rollout}/decisions", summary="Recent decisions of one rollout, with every test's numbers")
async def canary_decisions(
    request: Request,
    principal: AdminDep,
    rollout: Annotated[str, Path(min_length=1, max_length=200, pattern=LABEL)],
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    rows = await recent(request.app.state.pool, rollout=rollout, limit=limit)
    if not rows:
        raise NotFound(
            f"no decisions recorded for rollout {rollout!r}", code="C404", hint="GET /v1/canary lists rollouts"
        )
    return {"rollout": rollout, "decisions": [_own_view(r, principal.tenant_id) for r in rows]}


def _controller(request: Request) -> Any:
    controller = getattr(request.app.state, "canary_controller", None)
    if controller is None:
        raise NotFound(
            "no canary controller runs in this process",
            code="C404",
            hint="pause or resume where the controller runs (`pavedroad demo` wires it)",
        )
    return controller


@router.post("/{rollout}/pause", summary="Pause a guarded rollout for a human (operator)")
async def canary_pause(
    request: Request, operator: OperatorDep, rollout: Annotated[str, Path(min_length=1, max_length=200, pattern=LABEL)]
) -> dict[str, Any]:
    _controller(request).pause(rollout)
    async with request.app.state.pool.connection() as conn:
        await arecord_platform_action(conn, operator.author, "canary_pause", rollout)
    return {"rollout": rollout, "paused": True, "by": operator.author}


@router.post("/{rollout}/resume", summary="Resume a paused or rolled-back rollout, evidence restarts (operator)")
async def canary_resume(
    request: Request, operator: OperatorDep, rollout: Annotated[str, Path(min_length=1, max_length=200, pattern=LABEL)]
) -> dict[str, Any]:
    _controller(request).resume(rollout)
    async with request.app.state.pool.connection() as conn:
        await arecord_platform_action(conn, operator.author, "canary_resume", rollout)
    return {"rollout": rollout, "paused": False, "by": operator.author}


class VerdictRequest(BaseModel):
    """Which cohorts to compare, over which window, under which policy overrides."""

    model_config = ConfigDict(extra="forbid")

    baseline: str = Field(min_length=1, max_length=64, pattern=LABEL, description="stable version (or variant)")
    canary: str = Field(min_length=1, max_length=64, pattern=LABEL, description="canary version (or variant)")
    dimension: Literal["version", "variant"] = "version"
    window: str = Field(default="6h", description="look-back, e.g. 30m, 6h; use the time since the canary started")
    service: str | None = Field(default=None, max_length=200, pattern=LABEL)
    route: str | None = Field(default=None, max_length=500, pattern=LABEL)
    policy: dict[str, Any] = Field(default_factory=dict, description="overrides of the canary Policy fields")


def _window_s(text: str) -> float:
    match = _WINDOW.match(text.strip())
    if match is None:
        raise InvalidInput(f"window {text!r} is not of the form <n><s|m|h|d>", code="C400", hint="e.g. 30m or 6h")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= MAX_WINDOW_S:
        raise InvalidInput(f"window {text!r} must be between 1s and 7d", code="C400", hint="e.g. 30m or 6h")
    return float(seconds)


async def _verdict(request: Request, body: VerdictRequest) -> dict[str, Any]:
    policy = Policy.from_dict(body.policy)
    now = time.time()
    spec = CohortSpec(body.baseline, body.canary, body.dimension, body.service, body.route)
    pairs = await SloSlicesSource(request.app.state.pool).slices(spec, now - _window_s(body.window), now)
    out = judge(pairs, policy, name=f"{body.dimension}:{body.baseline}->{body.canary}", now=now)
    # No other tenant's gate in an answer that leaves the platform.
    out["results"] = [r for r in out["results"] if not r["metric"].startswith("tenant_burn:")]
    return out


@router.post("/verdict", summary="Judge canary vs baseline now (Argo Rollouts web metric)")
async def canary_verdict(request: Request, principal: AdminDep, body: VerdictRequest) -> dict[str, Any]:
    del principal
    return await _verdict(request, body)


class FlaggerPayload(BaseModel):
    """What Flagger posts to a webhook; our parameters travel in ``metadata``."""

    model_config = ConfigDict(extra="allow")

    name: str = ""
    namespace: str = ""
    phase: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)


@router.post("/webhooks/flagger", summary="Flagger webhook: 200 unless the canary is judged worse (409)")
async def flagger_webhook(request: Request, payload: Annotated[FlaggerPayload, Body()]) -> dict[str, Any]:
    meta = payload.metadata
    key = meta.get("api_key") or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not key:
        raise Unauthenticated("no API key was sent", hint="put api_key in the webhook metadata (from a Secret)")
    principal = await authenticate(request.app.state.pool, key)
    if principal.role is not Role.ADMIN:
        raise Unauthenticated("the webhook's API key must belong to an admin", hint="issue an admin key")
    try:
        body = VerdictRequest(
            baseline=meta.get("baseline", ""),
            canary=meta.get("canary", ""),
            dimension=meta.get("dimension", "version"),
            window=meta.get("window", "6h"),
            service=meta.get("service"),
            route=meta.get("route"),
        )
    except ValueError as exc:
        raise InvalidInput(
            f"webhook metadata is invalid: {str(exc).splitlines()[0]}",
            code="C400",
            hint="metadata needs baseline and canary (versions), optionally window, service, route",
        ) from None
    out = await _verdict(request, body)
    if out["verdict"] == "fail":
        raise Conflict(f"canary {payload.name or body.canary} is worse than baseline: {out['reason']}", code="C409")
    return out
