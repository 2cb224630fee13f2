"""/v1/flags: every role reads; only admins kill, ramp and revert (403 otherwise); changes are audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.flags.store import get_flag, history, put_flag
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.testing import TestDatabase

from .conftest import write


@pytest.fixture
def api(store: TestDatabase, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with psycopg.connect(store.owner_url) as conn:
        for tenant in ("acme", "globex"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
    keys = ensure_demo_keys(store.owner_url, tmp_path / "keys.json", ["acme", "globex"])
    with TestClient(create_app(load_settings(), store.app_url), raise_server_exceptions=False) as client:
        yield client, keys


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_any_role_reads_and_evaluates(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, keys = api
    r = client.get("/v1/flags", headers=_h(keys["acme"]["interviewer"]))
    assert r.status_code == 200
    assert {f["key"] for f in r.json()["flags"]} == {"new-ui", "banner"}
    r = client.get("/v1/flags/new-ui", headers=_h(keys["acme"]["recruiter"]))
    assert r.status_code == 200
    assert r.json()["definition"]["variants"] == {"on": True, "off": False}
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["acme"]["recruiter"])).json()["value"] is True
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["globex"]["recruiter"])).json()["value"] is False
    missing = client.get("/v1/flags/nope", headers=_h(keys["acme"]["admin"]))
    assert missing.status_code == 404
    assert missing.json()["code"] == "F404"
    assert client.get("/v1/flags").status_code == 401


@pytest.mark.parametrize("role", ["recruiter", "interviewer", "hiring_manager", "compliance"])
def test_only_admins_change_flags(api: tuple[TestClient, dict[str, dict[str, str]]], role: str) -> None:
    client, keys = api
    for path, body in (("kill", {"reason": "x"}), ("ramp", {"reason": "x", "step": 1}), ("revert", {"reason": "x"})):
        r = client.post(f"/v1/flags/new-ui/{path}", json=body, headers=_h(keys["acme"][role]))
        assert r.status_code == 403, path


def test_admin_kills_for_own_tenant_and_reverts(
    api: tuple[TestClient, dict[str, dict[str, str]]], store: TestDatabase
) -> None:
    client, keys = api
    admin = _h(keys["acme"]["admin"])
    r = client.post("/v1/flags/new-ui/kill", json={"reason": "incident 42"}, headers=admin)
    assert r.status_code == 200
    assert client.get("/v1/flags/new-ui/evaluate", headers=admin).json()["reason"] == "DISABLED"
    entry = write(store.owner_url, history("new-ui"))[0]
    assert (entry.action, entry.tenant_id, entry.reason) == ("kill", "acme", "incident 42")
    assert entry.author.startswith("acme:")
    assert client.post("/v1/flags/new-ui/revert", json={"reason": "fixed"}, headers=admin).status_code == 200
    assert client.get("/v1/flags/new-ui/evaluate", headers=admin).json()["value"] is True


def test_admin_moves_a_ramp_and_bad_input_is_4xx(
    api: tuple[TestClient, dict[str, dict[str, str]]], store: TestDatabase
) -> None:
    client, keys = api
    admin = _h(keys["acme"]["admin"])
    assert client.post("/v1/flags/new-ui/ramp", json={"reason": "go", "step": 1}, headers=admin).status_code == 409
    flag = write(store.owner_url, get_flag("new-ui"))
    flag["metadata"] = {**flag["metadata"], "pavedroad.ramp": "5%:1h,50%:1h,100%", "pavedroad.rampStep": 0}
    write(store.owner_url, put_flag("new-ui", flag, author="t", reason="ramp"))
    r = client.post("/v1/flags/new-ui/ramp", json={"reason": "go", "step": 1, "guard": "green"}, headers=admin)
    assert r.status_code == 200
    assert (r.json()["step"], r.json()["percent"], r.json()["guard"]) == (1, 50.0, "green")
    r = client.post("/v1/flags/new-ui/ramp", json={"reason": "bad", "back": True}, headers=admin)
    assert (r.json()["step"], r.json()["guard"]) == (-1, "red")
    assert client.post("/v1/flags/new-ui/ramp", json={"reason": "x", "step": 9}, headers=admin).status_code == 409
    assert client.post("/v1/flags/new-ui/ramp", json={"step": 1}, headers=admin).status_code == 422


def test_an_admin_cannot_revert_another_tenants_override(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, keys = api
    assert client.post("/v1/flags/new-ui/kill", json={"reason": "ours"}, headers=_h(keys["acme"]["admin"])).is_success
    r = client.post("/v1/flags/new-ui/revert", json={"reason": "theirs"}, headers=_h(keys["globex"]["admin"]))
    assert r.status_code == 403
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["acme"]["admin"])).json()["reason"] == "DISABLED"
