"""Pausing or resuming a guarded rollout changes it for every tenant: operators only; each action, and each
refused attempt, is audited."""

from __future__ import annotations

from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from pavedroad.canary.controller import Rollout
from pavedroad.canary.drivers import build_controller
from pavedroad.canary.ports import CohortSpec
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy.operators import issue_operator
from pavedroad.testing import FakeClock, TestDatabase


def _audit(owner_url: str) -> list[tuple[str, str, str, str]]:
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute("select actor, action, target, outcome from pavedroad_meta.platform_audit order by id")
        return [tuple(r) for r in rows.fetchall()]


def test_only_an_operator_pauses_and_resumes_and_each_is_audited(database: TestDatabase, tmp_path: Path) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values ('alpha', 'alpha')")
        conn.commit()
        operator = {"Authorization": f"Bearer {issue_operator(conn, 'olga', by='test')}"}
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha"])
    admin = {"Authorization": f"Bearer {keys['alpha']['admin']}"}
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        rollout = Rollout("new-search", "new-search", CohortSpec("off", "on"))
        controller = build_controller(client.app.state.pool, [rollout], clock=FakeClock())  # type: ignore[attr-defined]
        client.app.state.canary_controller = controller  # type: ignore[attr-defined]
        for verb in ("pause", "resume"):
            denied = client.post(f"/v1/canary/new-search/{verb}", headers=admin)
            assert denied.status_code == 403
            assert "operator" in denied.json()["message"]
        assert not controller.states["new-search"].paused
        denials = _audit(database.owner_url)
        assert [(a[1], a[3]) for a in denials] == [
            ("POST /v1/canary/{rollout}/pause", "denied"),
            ("POST /v1/canary/{rollout}/resume", "denied"),
        ]
        assert all(a[0].startswith("alpha:") for a in denials)
        r = client.post("/v1/canary/new-search/pause", headers=operator)
        assert (r.status_code, r.json()["by"]) == (200, "operator:olga")
        assert controller.states["new-search"].paused
        assert client.post("/v1/canary/new-search/resume", headers=operator).status_code == 200
        assert not controller.states["new-search"].paused
    assert _audit(database.owner_url)[2:] == [
        ("operator:olga", "canary_pause", "new-search", "ok"),
        ("operator:olga", "canary_resume", "new-search", "ok"),
    ]
