"""The HTTP side of authentication: FastAPI dependencies that read the key from the request.

Issuing keys, verifying them and the revocation-aware cache live in ``pavedroad.tenancy.keys``; this
module only takes the key from ``Authorization: Bearer`` (or ``X-API-Key``), resolves it there, and turns
the caller into the route's principal (tenant routes refuse operator keys with 403; platform routes
refuse tenant keys and record the attempt).
"""

from __future__ import annotations

from typing import Annotated

import psycopg
from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import Forbidden, Unauthenticated
from pavedroad.tenancy import (
    Caller,
    Operator,
    Principal,
    Role,
    arecord_platform_action,
    audit_name,
    authenticate_caller,
)

__all__ = ["current_caller", "current_principal", "require_operator", "require_roles"]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    raise Unauthenticated(
        "no API key was sent", hint="send 'Authorization: Bearer <key>' (demo keys are printed by `pavedroad demo`)"
    )


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency for platform routes: the verified tenant principal or platform operator."""
    pool: AsyncConnectionPool = request.app.state.pool
    try:
        caller = await authenticate_caller(pool, _bearer(request))
    except psycopg.Error as exc:  # pragma: no cover - database trouble surfaces as 503 elsewhere
        raise Unauthenticated("the API key could not be verified") from exc
    request.state.principal = caller
    return caller


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified tenant principal of this request (an operator key gets 403)."""
    caller = await current_caller(request)
    if isinstance(caller, Operator):
        raise Forbidden(
            "a platform operator key cannot act inside a tenant",
            hint="use a tenant's API key here; operator keys serve the platform routes (flags, canary)",
        )
    return caller


async def _operator_only(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Operator:
    if not isinstance(caller, Operator):
        route = request.scope.get("route")
        action = f"{request.method} {getattr(route, 'path', request.url.path)}"
        async with request.app.state.pool.connection() as conn:
            await arecord_platform_action(conn, audit_name(caller), action, request.url.path, outcome="denied")
        raise Forbidden(
            "this is a platform-wide action: it needs a platform operator key, not a tenant's key",
            hint="a tenant admin acts on its own tenant only; operators get keys from `pavedroad operator issue`",
        )
    return caller


def require_operator() -> object:
    """FastAPI dependency: only a platform operator may call the route; a tenant principal gets 403 and
    the attempt is recorded in ``pavedroad_meta.platform_audit`` (outcome ``denied``)."""
    return Depends(_operator_only)


def require_roles(*roles: Role) -> object:
    """FastAPI dependency factory: only these roles may call the route (others get 403)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role '{principal.role.value}' may not do this", hint=f"allowed roles: {allowed}")
        return principal

    return Depends(check)
