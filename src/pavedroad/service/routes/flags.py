"""Flags API: any role may read flags and evaluate them for itself; only admins change them.

Flags are platform configuration, read from ``pavedroad_meta`` with the application pool. A principal
sees tenant overrides of its own tenant only. Changes (kill, ramp, revert) are audited with the
principal as author (``<tenant>:<user>``) and a required reason; other roles get 403.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from pavedroad.errors import Forbidden
from pavedroad.flags import FlagClient, FlagRuntime, ramp_position, update_ramp
from pavedroad.flags.store import Op, arun, get_flag, history, load_state, put_flag, set_override
from pavedroad.flags.store import revert as revert_op
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal, Role

__all__ = ["router"]

router = APIRouter(prefix="/v1/flags", tags=["flags"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]
KeyPath = Annotated[str, Path(min_length=1, max_length=200)]


class KillBody(BaseModel):
    """Kill switch: for the caller's tenant (default) or globally; ``lift`` turns it off again."""

    reason: str = Field(min_length=1, max_length=500)
    scope: Literal["tenant", "global"] = "tenant"
    lift: bool = False


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


async def _run(request: Request, op: Op) -> Any:
    async with request.app.state.pool.connection() as conn, conn.transaction():
        return await arun(conn, op)


def _admin(principal: Principal) -> str:
    if principal.role is not Role.ADMIN:
        raise Forbidden(f"role '{principal.role.value}' may not change flags", hint="ask an admin of your tenant")
    return f"{principal.tenant_id}:{principal.user_id}"


@router.get("", summary="List flags")
async def list_flags(request: Request, principal: PrincipalDep) -> dict[str, Any]:
    state = await _run(request, load_state())
    now = time.time()
    flags = []
    for key, flag in sorted(state.flag_set.flags.items()):
        pos = ramp_position(key, flag.to_json(), now)
        own = state.overrides.get(key, {}).get(principal.tenant_id)
        flags.append({
            "key": key, "state": flag.state, "type": flag.kind, "default_variant": flag.defaultVariant,
            "ramp_percent": pos.percent if pos.steps else None, "owner": flag.metadata.get("pavedroad.owner"),
            "tenant_override": None if own is None else ("killed" if own.startswith("\x00") else own),
        })  # fmt: skip
    return {"version": state.version, "flags": flags}


@router.get("/{key}", summary="Show one flag: definition, ramp position, recent history")
async def show_flag(request: Request, principal: PrincipalDep, key: KeyPath) -> dict[str, Any]:
    definition = await _run(request, get_flag(key))
    entries = await _run(request, history(key, 20))
    return {
        "key": key,
        "definition": definition,
        "ramp": ramp_position(key, definition, time.time()).to_json(),
        "history": [e.to_json(with_tenant=False) for e in entries if e.tenant_id in (None, principal.tenant_id)],
    }


@router.get("/{key}/evaluate", summary="Evaluate a flag for the calling principal")
async def evaluate_flag(request: Request, principal: PrincipalDep, key: KeyPath) -> dict[str, Any]:
    from pavedroad.flags import context_for

    state = await _run(request, load_state())
    r = FlagClient(FlagRuntime(state=state)).details(key, None, context_for(principal), kind=_kind(state, key))
    return {"key": key, "value": r.value, "variant": r.variant, "reason": r.reason, "error_code": r.error_code}


def _kind(state: Any, key: str) -> str | None:
    flag = state.flag_set.flags.get(key)
    return None if flag is None else ("float" if flag.kind == "number" else flag.kind)


@router.post("/{key}/kill", summary="Kill switch (admin)")
async def kill_flag(request: Request, principal: PrincipalDep, key: KeyPath, body: KillBody) -> dict[str, Any]:
    author = _admin(principal)
    action = "unkill" if body.lift else "kill"
    if body.scope == "tenant":
        op = set_override(principal.tenant_id, key, variant=None, killed=not body.lift, author=author,
                          reason=body.reason, action=action)  # fmt: skip
        version = await _run(request, op)
    else:
        definition = await _run(request, get_flag(key))
        changed = {**definition, "state": "ENABLED" if body.lift else "DISABLED"}
        version = await _run(request, put_flag(key, changed, author=author, reason=body.reason, action=action))
    return {"key": key, "scope": body.scope, "killed": not body.lift, "version": version}


@router.post("/{key}/ramp", summary="Move, guard or roll back a ramp (admin)")
async def ramp_flag(request: Request, principal: PrincipalDep, key: KeyPath, body: RampBody) -> dict[str, Any]:
    author = _admin(principal)
    now = time.time()
    if body.back:
        definition = await _run(request, get_flag(key))
        safe = ramp_position(key, definition, now).safe_step
        pos = await _run(request, update_ramp(key, step=safe, guard="red", author=author, reason=body.reason, now=now))
    else:
        op = update_ramp(key, step=body.step, guard=body.guard, author=author, reason=body.reason, now=now)
        pos = await _run(request, op)
    return pos.to_json()  # type: ignore[no-any-return]


@router.post("/{key}/revert", summary="Revert the latest change (admin)")
async def revert_flag(request: Request, principal: PrincipalDep, key: KeyPath, body: RevertBody) -> dict[str, Any]:
    author = _admin(principal)
    entries = [e for e in await _run(request, history(key, 200)) if e.action != "revert"]
    target = next((e for e in entries if body.change is None or e.id == body.change), None)
    if target is not None and target.tenant_id not in (None, principal.tenant_id):
        raise Forbidden("that change belongs to another tenant's override", hint="revert your own tenant's changes")
    version = await _run(request, revert_op(key, author=author, reason=body.reason, audit_id=body.change))
    return {"key": key, "version": version}
