"""A revoked key is refused at once: the revoking process's commit notifies every service process, which
empties its authentication cache (today's 30 s cache kept serving a revoked key)."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy import cache_for
from pavedroad.testing import TestDatabase

WAIT_S = 30.0  # a generous bound for a loaded machine; the benchmark measures the real delay

REVOKE = """
import sys, psycopg
from pavedroad.tenancy import hash_key
with psycopg.connect(sys.argv[1]) as conn:
    conn.execute(sys.argv[2], (hash_key(sys.argv[3]),))
"""


def _in_another_process(owner_url: str, sql: str, key: str) -> None:
    subprocess.run([sys.executable, "-c", REVOKE, owner_url, sql, key], check=True, timeout=60)


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_revoked_by_another_process_is_refused_at_the_next_request(
    database: TestDatabase, keys: dict[str, dict[str, str]]
) -> None:
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        cache = cache_for(client.app.state.pool)  # type: ignore[attr-defined]
        assert cache.wait_listening(WAIT_S), "the service never started listening"
        key = keys["alpha"]["recruiter"]
        for _ in range(2):  # the second answer comes from the cache
            assert client.get("/v1/jobs", headers=_h(key)).status_code == 200
        before = cache.generation
        _in_another_process(database.owner_url, "update api_keys set revoked_at = now() where key_hash = %s", key)
        assert cache.wait_for_invalidation(before, WAIT_S), "the revocation notification never arrived"
        r = client.get("/v1/jobs", headers=_h(key))
        assert r.status_code == 401
        assert "revoked" in r.json()["message"]
        assert client.get("/v1/jobs", headers=_h(keys["alpha"]["admin"])).status_code == 200


def test_deactivating_a_user_refuses_its_keys_at_once(database: TestDatabase, keys: dict[str, dict[str, str]]) -> None:
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        cache = cache_for(client.app.state.pool)  # type: ignore[attr-defined]
        assert cache.wait_listening(WAIT_S)
        key = keys["beta"]["interviewer"]
        assert client.get("/v1/jobs", headers=_h(key)).status_code == 200
        before = cache.generation
        deactivate = (
            "update users set active = false where (tenant_id, id) in"
            " (select tenant_id, user_id from api_keys where key_hash = %s)"
        )
        _in_another_process(database.owner_url, deactivate, key)
        assert cache.wait_for_invalidation(before, WAIT_S)
        assert client.get("/v1/jobs", headers=_h(key)).status_code == 401
