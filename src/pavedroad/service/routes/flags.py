"""Flags API: any role reads flags and evaluates them for itself; admins change their own tenant's override;
platform operators change the flags themselves.

Flags are platform configuration, read from ``pavedroad_meta`` with the application pool. A tenant
principal sees each flag through ``flags.view``: key, description, state, variants, its own decision and
override, the ramp position, never the targeting rules (they name other tenants); and a history with its
own entries plus platform entries without the operator's name, reason or changes to hidden parts. A
platform operator sees the stored definitions and every tenant's entries.

Who may change what is decided by the store operations (``flags.access.Actor``), the one rule every
caller shares: a tenant admin kills or overrides the flag for its own tenant; a global kill, a ramp move
or a revert of a platform change needs an operator key (403 otherwise, with the reason). Every change is
audited with its author and a required reason.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from pavedroad.errors import InvalidInput
from pavedroad.flags import (
    Actor,
    FlagClient,
    FlagForbidden,
    FlagRuntime,
    context_for,
    get_flag,
    put_flag,
    ramp_position,
    set_override,
    tenant_flag,
    tenant_flags,
    tenant_history,
    update_ramp,
)
from pavedroad.flags import StoreOp as Op
from pavedroad.flags import arun_store_op as arun
from pavedroad.flags import flag_history as history
from pavedroad.flags import load_store_state as load_state
from pavedroad.flags import revert_flag as revert_op
from pavedroad.service.auth import current_caller, current_principal
from pavedroad.tenancy import Caller, Operator, Principal, arecord_platform_action, audit_name

__all__ = ["router"]

router = APIRouter(prefix="/v1/flags", tags=["flags"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]
CallerDep = Annotated[Caller, Depends(current_caller)]
KeyPath = Annotated[str, Path(min_length=1, max_length=200)]


class KillBody(BaseModel):
    """Kill switch: for one tenant (default: the caller's) or globally (operators); ``lift`` turns it off."""

    reason: str = Field(min_length=1, max_length=500)
    scope: Literal["tenant", "global"] = "tenant"
    lift: bool = False
    tenant: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_-]{1,62}$", description="scope 'tenant': which one (operators)"
    )


class RampBody(BaseModel):
    """Move a ramp: pin ``step``, roll ``back`` to the last safe step, and/or set the ``guard``."""

    reason: str = Field(min_length=1, max_length=500)
    step: int | None = Field(default=None, ge=-1, le=1000)
    back: bool = False
    guard: Literal["green", "red"] | None = None


class RevertBody(BaseModel):
    """Undo the latest change, or audit entry ``change``."""

    reason: str = Field(min_length=1, max_length=500)
    change: int | None = Field(default=None, ge=1)


@asynccontextmanager
async def _denials_audited(request: Request, caller: Caller, action: str, key: str) -> AsyncIterator[None]:
    """A refused change (a tenant reaching for a platform action) is recorded before the 403 goes out."""
    try:
        yield
    except FlagForbidden:
        async with request.app.state.pool.connection() as conn:
            await arecord_platform_action(conn, audit_name(caller), action, key, outcome="denied")
        raise


async def _run(request: Request, op: Op) -> Any:
    async with request.app.state.pool.connection() as conn, conn.transaction():
        return await arun(conn, op)


def _tenant_of(caller: Caller) -> str | None:
    return None if isinstance(caller, Operator) else caller.tenant_id


@router.get("", summary="List flags")
async def list_flags(request: Request, principal: CallerDep) -> dict[str, Any]:
    state = await _run(request, load_state())
    now = time.time()
    if not isinstance(principal, Operator):
        views = tenant_flags(state, principal.tenant_id, context_for(principal), now=now)
        return {"version": state.version, "flags": views}
    flags = []
    for key, flag in sorted(state.flag_set.flags.items()):
        pos = ramp_position(key, flag.to_json(), now)
        flags.append({
            "key": key, "state": flag.state, "type": flag.kind, "default_variant": flag.defaultVariant,
            "ramp_percent": pos.percent if pos.steps else None, "owner": flag.metadata.get("pavedroad.owner"),
            "overrides": len(state.overrides.get(key, {})),
        })  # fmt: skip
    return {"version": state.version, "flags": flags}


@router.get("/{key}", summary="Show one flag: a tenant's view of it, or (operators) its definition; recent history")
async def show_flag(request: Request, principal: CallerDep, key: KeyPath) -> dict[str, Any]:
    if not isinstance(principal, Operator):
        state = await _run(request, load_state())
        if key not in state.flag_set.flags:
            await _run(request, get_flag(key))  # raises the store's FlagNotFound (404, with its hint)
        entries = await _run(request, history(key, 20, tenant=principal.tenant_id))
        view = tenant_flag(state, key, principal.tenant_id, context_for(principal))
        return {**view, "history": tenant_history(entries, principal.tenant_id)}
    definition = await _run(request, get_flag(key))
    entries = await _run(request, history(key, 20))
    return {
        "key": key,
        "definition": definition,
        "ramp": ramp_position(key, definition, time.time()).to_json(),
        "history": [e.to_json() for e in entries],
    }


@router.get("/{key}/evaluate", summary="Evaluate a flag for the calling principal")
async def evaluate_flag(request: Request, principal: PrincipalDep, key: KeyPath) -> dict[str, Any]:
    state = await _run(request, load_state())
    r = FlagClient(FlagRuntime(state=state)).details(key, None, context_for(principal), kind=_kind(state, key))
    return {"key": key, "value": r.value, "variant": r.variant, "reason": r.reason, "error_code": r.error_code}


def _kind(state: Any, key: str) -> str | None:
    flag = state.flag_set.flags.get(key)
    return None if flag is None else ("float" if flag.kind == "number" else flag.kind)


@router.post("/{key}/kill", summary="Kill switch: own tenant (admin) or global (operator)")
async def kill_flag(request: Request, principal: CallerDep, key: KeyPath, body: KillBody) -> dict[str, Any]:
    async with _denials_audited(request, principal, "flag_kill", key):
        return await _kill(request, principal, key, body)


async def _kill(request: Request, principal: Caller, key: str, body: KillBody) -> dict[str, Any]:
    actor = Actor.of(principal)
    action = "unkill" if body.lift else "kill"
    tenant = (body.tenant or _tenant_of(principal)) if body.scope == "tenant" else None
    if body.scope == "tenant":
        if tenant is None:
            raise InvalidInput("an operator's tenant kill names the tenant", code="F400",
                               hint='send "tenant": "<tenant id>", or scope "global"')  # fmt: skip
        op = set_override(tenant, key, variant=None, killed=not body.lift, actor=actor, reason=body.reason,
                          action=action)  # fmt: skip
    else:
        actor.require_platform(f"a global {action} of flag {key!r}")
        definition = await _run(request, get_flag(key))
        changed = {**definition, "state": "ENABLED" if body.lift else "DISABLED"}
        op = put_flag(key, changed, actor=actor, reason=body.reason, action=action)
    version = await _run(request, op)
    return {"key": key, "scope": body.scope, "tenant": tenant, "killed": not body.lift, "version": version}


@router.post("/{key}/ramp", summary="Move, guard or roll back a ramp (operator)")
async def ramp_flag(request: Request, principal: CallerDep, key: KeyPath, body: RampBody) -> dict[str, Any]:
    async with _denials_audited(request, principal, "flag_ramp", key):
        return await _ramp(request, principal, key, body)


async def _ramp(request: Request, principal: Caller, key: str, body: RampBody) -> dict[str, Any]:
    actor = Actor.of(principal)
    actor.require_platform(f"moving the ramp of flag {key!r}")
    now = time.time()
    if body.back:
        definition = await _run(request, get_flag(key))
        safe = ramp_position(key, definition, now).safe_step
        pos = await _run(request, update_ramp(key, step=safe, guard="red", actor=actor, reason=body.reason, now=now))
    else:
        op = update_ramp(key, step=body.step, guard=body.guard, actor=actor, reason=body.reason, now=now)
        pos = await _run(request, op)
    return pos.to_json()  # type: ignore[no-any-return]


@router.post("/{key}/revert", summary="Revert the latest change: own tenant's override (admin) or any (operator)")
async def revert_flag(request: Request, principal: CallerDep, key: KeyPath, body: RevertBody) -> dict[str, Any]:
    async with _denials_audited(request, principal, "flag_revert", key):
        return await _revert(request, principal, key, body)


async def _revert(request: Request, principal: Caller, key: str, body: RevertBody) -> dict[str, Any]:
    actor = Actor.of(principal)
    version = await _run(request, revert_op(key, actor=actor, reason=body.reason, audit_id=body.change))
    return {"key": key, "version": version}
