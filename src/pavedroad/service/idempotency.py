"""Idempotency keys for writes: a retried request gets the first response, never a second write.

``begin`` claims the key inside the write's own transaction (a concurrent duplicate waits on the
primary key until the first commits, then replays); ``finish`` stores the response before commit.
Reusing a key with a different body is a 409, because silently replaying would hide a client bug.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pavedroad.errors import Conflict, InvalidInput

__all__ = ["Replay", "begin", "finish", "request_hash"]

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Replay:
    """The stored outcome of the first request that used the key."""

    status_code: int
    body: Any


def request_hash(method: str, path: str, body: Any, *, caller: str) -> str:
    """Hash of what makes two requests 'the same': the caller, method, path and canonical JSON body.

    The caller (user and role) is part of it so a key is only ever replayed to whoever first used it:
    another user of the tenant sending the same key and body gets a 409, never a response their own role
    might not have earned."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{caller} {method} {path}\n{canonical}".encode()).hexdigest()


async def begin(conn: psycopg.AsyncConnection, tenant_id: str, key: str, digest: str) -> Replay | None:
    """Claim ``key`` for this request, or return the earlier response to replay."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable characters", hint="use a UUID per logical write"
        )
    claimed = await (
        await conn.execute(
            "insert into idempotency_keys (tenant_id, key, request_hash) values (%s, %s, %s)"
            " on conflict (tenant_id, key) do nothing returning 1",
            (tenant_id, key, digest),
        )
    ).fetchone()
    if claimed is not None:
        return None
    row = await (
        await conn.execute(
            "select request_hash, status_code, response from idempotency_keys where tenant_id = %s and key = %s",
            (tenant_id, key),
        )
    ).fetchone()
    if row is None:  # the key expired between the claim and this read
        raise Conflict("this Idempotency-Key changed while the request ran", hint="retry the request")
    if row[0] != digest:
        raise Conflict(
            "this Idempotency-Key was already used for a different request",
            hint="send a new key for a new write; reuse a key only to retry the identical request",
        )
    if row[1] is None:  # claimed by a write that committed without a response: never replay a guess
        raise Conflict("this Idempotency-Key has no stored response", hint="retry with a new key")
    return Replay(int(row[1]), row[2])


async def finish(conn: psycopg.AsyncConnection, tenant_id: str, key: str, status_code: int, body: Any) -> None:
    """Store the response under the key, in the write's transaction."""
    await conn.execute(
        "update idempotency_keys set status_code = %s, response = %s where tenant_id = %s and key = %s",
        (status_code, Jsonb(body), tenant_id, key),
    )
