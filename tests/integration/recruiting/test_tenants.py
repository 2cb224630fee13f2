"""Demo tenants' keys: one per tenant and role, stable across re-runs, reissued when revoked; the key file
is private to its owner."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest

from pavedroad.recruiting.tenants import ensure_demo_keys, list_tenants
from pavedroad.tenancy import Role
from pavedroad.testing import TestDatabase

pytestmark = pytest.mark.integration


@pytest.fixture
def tenants(database: TestDatabase) -> list[str]:
    with psycopg.connect(database.owner_url) as conn:
        for tenant in ("beta", "alpha"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
    return ["alpha", "beta"]


def test_tenants_are_listed_in_id_order(database: TestDatabase, tenants: list[str]) -> None:
    assert list_tenants(database.owner_url) == ["alpha", "beta"]


def test_each_tenant_gets_one_key_per_role_in_a_file_only_its_owner_reads(
    database: TestDatabase, tenants: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    keys = ensure_demo_keys(database.owner_url, path, tenants)
    assert {tenant: set(by_role) for tenant, by_role in keys.items()} == {t: {r.value for r in Role} for t in tenants}
    assert len({key for by_role in keys.values() for key in by_role.values()}) == 2 * len(Role)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_rerun_keeps_the_keys_and_their_users(database: TestDatabase, tenants: list[str], tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = ensure_demo_keys(database.owner_url, path, tenants)
    again = ensure_demo_keys(database.owner_url, path, tenants)
    assert again == first
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from users").fetchone() == (2 * len(Role),)
        assert conn.execute("select count(*) from api_keys").fetchone() == (2 * len(Role),)


def test_a_revoked_key_is_reissued_for_the_same_user(
    database: TestDatabase, tenants: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    first = ensure_demo_keys(database.owner_url, path, tenants)
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update api_keys set revoked_at = now() where tenant_id = 'alpha'")
    again = ensure_demo_keys(database.owner_url, path, tenants)
    assert again["beta"] == first["beta"]
    assert set(again["alpha"].values()).isdisjoint(first["alpha"].values())
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from users where tenant_id = 'alpha'").fetchone() == (len(Role),)
