"""Tenants, users and API keys for the reference domain (used by the seeder and `pavedroad demo`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg

from pavedroad.errors import present
from pavedroad.tenancy import Role, hash_key, issue_key

__all__ = ["DEMO_TENANTS", "ensure_demo_keys", "list_tenants"]

DEMO_TENANTS = ("acme", "globex", "initech")


def list_tenants(owner_url: str) -> list[str]:
    """All tenant ids (an operator query, made with the owner connection)."""
    with psycopg.connect(owner_url) as conn:
        return [r[0] for r in conn.execute("select tenant_id from tenants order by tenant_id").fetchall()]


def ensure_demo_keys(owner_url: str, key_file: Path, tenants: list[str]) -> dict[str, dict[str, str]]:
    """One API key per tenant and role, kept in ``key_file`` (mode 0600) so re-runs print the same keys.

    Keys whose hash is no longer in the database (e.g. after a reset) are issued anew.
    """
    known: dict[str, dict[str, str]] = json.loads(key_file.read_text()) if key_file.exists() else {}
    result: dict[str, dict[str, str]] = {}
    with psycopg.connect(owner_url) as conn:
        for tenant in tenants:
            result[tenant] = {}
            for role in Role:
                key = known.get(tenant, {}).get(role.value)
                if (
                    key
                    and conn.execute(
                        "select 1 from api_keys where tenant_id = %s and key_hash = %s and revoked_at is null",
                        (tenant, hash_key(key)),
                    ).fetchone()
                ):
                    result[tenant][role.value] = key
                    continue
                user = conn.execute(
                    "select id from users where tenant_id = %s and role = %s and active order by id limit 1",
                    (tenant, role.value),
                ).fetchone()
                if user is None:
                    user = conn.execute(
                        "insert into users (tenant_id, email, name, role) values (%s, %s, %s, %s) returning id",
                        (
                            tenant,
                            f"demo-{role.value}@{tenant}.example",
                            f"Demo {role.value.replace('_', ' ')}",
                            role.value,
                        ),
                    ).fetchone()
                user = present(user, "the demo user row")
                key = issue_key(tenant)
                conn.execute(
                    "insert into api_keys (tenant_id, user_id, key_hash, label) values (%s, %s, %s, 'demo')",
                    (tenant, user[0], hash_key(key)),
                )
                result[tenant][role.value] = key
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(result, fh, indent=2)
    return result
