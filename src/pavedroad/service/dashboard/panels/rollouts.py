"""Rollouts: every flag as this tenant sees it (``flags.view``: its decision, override and ramp, never the
targeting rules, which name other tenants); the canary controller's latest decision per guarded rollout
(admins), with its reason.

An admin acts on its own tenant's override only (the store refuses anything wider): Kill / Lift kill for
this tenant, and Revert, shown only where this tenant has an override, undoes this tenant's latest change.
Global kills and ramp moves are platform operations (operator keys, the CLI); no button offers them here."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from pavedroad.errors import InvalidInput
from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.dashboard.routes import form_fields
from pavedroad.service.routes import canary as canary_routes
from pavedroad.service.routes import flags as flag_routes
from pavedroad.tenancy import Principal, Role


async def _context(request: Request, principal: Principal, notice: str | None = None) -> dict[str, Any]:
    flags = await flag_routes.list_flags(request, principal)
    canary: dict[str, Any] | None = None
    if principal.role is Role.ADMIN:
        canary = await canary_routes.canary_status(request, principal)
    return {"flags": flags, "canary": canary, "notice": notice, "can_change": principal.role is Role.ADMIN}


async def render(request: Request, principal: Principal) -> PanelResult:
    return "panels/rollouts.html", await _context(request, principal)


async def _key_and_reason(request: Request) -> tuple[str, str]:
    fields = await form_fields(request)
    key = fields.get("key", "").strip()
    if not key:
        raise InvalidInput("which flag?", hint="the button sends the flag key")
    return key, fields.get("reason", "").strip() or "from the dashboard"


async def kill(request: Request, principal: Principal) -> PanelResult:
    key, reason = await _key_and_reason(request)
    fields = await form_fields(request)
    lift = fields.get("lift") == "1"
    body = flag_routes.KillBody(reason=reason, scope="tenant", lift=lift)
    await flag_routes.kill_flag(request, principal, key, body)
    verb = "lifted the kill switch of" if lift else "killed"
    return "panels/rollouts.html", await _context(request, principal, f"{verb} {key} for {principal.tenant_id}")


async def revert(request: Request, principal: Principal) -> PanelResult:
    key, reason = await _key_and_reason(request)
    await flag_routes.revert_flag(request, principal, key, flag_routes.RevertBody(reason=reason))
    notice = f"reverted {principal.tenant_id}'s latest change of {key}"
    return "panels/rollouts.html", await _context(request, principal, notice)


register_panel(
    Panel(
        "rollouts",
        "Rollouts and flags",
        render,
        order=40,
        refresh_s=10,
        wide=True,
        actions={"kill": kill, "revert": revert},
    )
)
