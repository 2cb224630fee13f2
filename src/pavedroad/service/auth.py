"""API-key authentication: a key names its tenant, and is verified *inside* that tenant.

Key form: ``pr_<tenant>_<secret>``. The service hashes the key and looks the hash up with row-level
security scoped to the claimed tenant, so a key can never resolve to another tenant and auth never
needs a cross-tenant query. The tenant therefore always comes from the credential, never the request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import Forbidden, Unauthenticated
from pavedroad.tenancy import Principal, Role, atransaction

__all__ = ["authenticate", "current_principal", "hash_key", "issue_key", "parse_key", "require_roles"]

_KEY_RE = re.compile(r"^pr_([a-z][a-z0-9_-]{1,62})_([A-Za-z0-9]{20,64})$")
_CACHE_TTL_S = 30.0
_cache: dict[str, tuple[float, Principal]] = {}


def hash_key(key: str) -> str:
    """What is stored: the SHA-256 of the whole key (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(tenant_id: str) -> str:
    """A new random key for ``tenant_id``; store only ``hash_key`` of it."""
    return f"pr_{tenant_id}_{secrets.token_urlsafe(24).replace('-', 'x').replace('_', 'y')}"


def parse_key(key: str) -> str:
    """The tenant a key claims, or ``Unauthenticated`` when it is not of our form."""
    match = _KEY_RE.match(key)
    if match is None:
        raise Unauthenticated(
            "the API key is malformed",
            hint="send 'Authorization: Bearer pr_<tenant>_<secret>' with a key from `pavedroad demo`",
        )
    return match.group(1)


async def authenticate(pool: AsyncConnectionPool, key: str) -> Principal:
    """Resolve an API key to its principal, or raise ``Unauthenticated``."""
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    tenant = parse_key(key)
    lookup = Principal(tenant, None, Role.INTERVIEWER)  # scope for the lookup itself; the role is unused
    async with atransaction(pool, lookup) as conn:
        row = await (
            await conn.execute(
                "select u.id, u.role from api_keys k join users u"
                " on u.tenant_id = k.tenant_id and u.id = k.user_id"
                " where k.tenant_id = %s and k.key_hash = %s and k.revoked_at is null and u.active",
                (tenant, hash_key(key)),
            )
        ).fetchone()
    if row is None:
        raise Unauthenticated("the API key is unknown or revoked", hint="ask an admin of your tenant for a new key")
    principal = Principal(tenant, int(row[0]), Role(row[1]))
    _cache[key] = (now + _CACHE_TTL_S, principal)
    return principal


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


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified principal of this request."""
    pool: AsyncConnectionPool = request.app.state.pool
    try:
        principal = await authenticate(pool, _bearer(request))
    except psycopg.Error as exc:  # pragma: no cover - database trouble surfaces as 503 elsewhere
        raise Unauthenticated("the API key could not be verified") from exc
    request.state.principal = principal
    return principal


def require_roles(*roles: Role) -> object:
    """FastAPI dependency factory: only these roles may call the route (others get 403)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role '{principal.role.value}' may not do this", hint=f"allowed roles: {allowed}")
        return principal

    return Depends(check)
