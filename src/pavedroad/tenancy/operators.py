"""Platform operator keys: issued, listed and revoked only with the owner database URL.

The application role cannot write ``pavedroad_meta.operator_keys`` and sees only the row of a hash it
presents (row-level security), so the service can verify a key but never list operators. Issuing and
revoking are recorded on the key's row (who, when), and a revocation reaches every service process at
once (the ``pavedroad_auth`` notification).
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from pavedroad.errors import Conflict, InvalidInput, NotFound
from pavedroad.tenancy.keys import hash_key, issue_operator_key

__all__ = ["arecord_platform_action", "issue_operator", "list_operators", "revoke_operator"]

_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")


def issue_operator(conn: psycopg.Connection[Any], name: str, *, by: str) -> str:
    """A new key for operator ``name`` (one live key per name); only its hash is stored. Returns the key."""
    if _NAME.match(name) is None:
        raise InvalidInput(f"operator name {name!r} is not of the form [a-z][a-z0-9_.-]*", hint="e.g. alice or sre.bob")
    key = issue_operator_key()
    try:
        with conn.transaction():
            conn.execute(
                "insert into pavedroad_meta.operator_keys (name, key_hash, created_by) values (%s, %s, %s)",
                (name, hash_key(key), by or "unknown"),
            )
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            f"operator {name!r} already has a live key", hint=f"revoke it first: `pavedroad operator revoke {name}`"
        ) from None
    return key


def revoke_operator(conn: psycopg.Connection[Any], name: str, *, by: str) -> int:
    """Revoke operator ``name``'s live key; refused by every service process as soon as this commits."""
    with conn.transaction():
        rows = conn.execute(
            "update pavedroad_meta.operator_keys set revoked_at = now(), revoked_by = %s"
            " where name = %s and revoked_at is null returning id",
            (by or "unknown", name),
        ).fetchall()
    if not rows:
        raise NotFound(f"operator {name!r} has no live key", hint="`pavedroad operator list` shows the operators")
    return len(rows)


def list_operators(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Every operator key ever issued (never the key or its hash): name, issued, revoked, by whom."""
    cur = conn.execute(
        "select name, created_at, created_by, revoked_at, revoked_by from pavedroad_meta.operator_keys order by id"
    )
    cols = [d.name for d in cur.description or ()]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


async def arecord_platform_action(
    conn: psycopg.AsyncConnection[Any], actor: str, action: str, target: str, *, outcome: str = "ok"
) -> None:
    """Append a platform action (not a flag change: those are in ``flag_audit``), or a refused attempt at
    one (``outcome="denied"``), to ``pavedroad_meta.platform_audit``."""
    await conn.execute(
        "insert into pavedroad_meta.platform_audit (actor, action, target, outcome) values (%s, %s, %s, %s)",
        (actor, action, target, outcome),
    )
