"""/v1/flags: every role reads; a tenant admin changes only its own tenant's override; flag definitions,
ramps and global kills need a platform operator key (403 for any tenant key); every change is audited."""

from __future__ import annotations

from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.flags import Actor
from pavedroad.flags.store import get_flag, history, put_flag
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy import cache_for, hash_key, issue_operator, revoke_operator
from pavedroad.testing import TestDatabase

from .conftest import write

Api = tuple[TestClient, dict[str, dict[str, str]]]


@pytest.fixture
def api(store: TestDatabase, tmp_path: Path) -> Iterator[Api]:
    """A client, and tenant keys per role plus ``keys["platform"]["operator"]``, an operator key."""
    with psycopg.connect(store.owner_url) as conn:
        for tenant in ("acme", "globex"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
        conn.commit()
        operator = issue_operator(conn, "olga", by="test")
    keys = ensure_demo_keys(store.owner_url, tmp_path / "keys.json", ["acme", "globex"])
    keys["platform"] = {"operator": operator}
    with TestClient(create_app(load_settings(), store.app_url), raise_server_exceptions=False) as client:
        yield client, keys


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_any_role_reads_and_evaluates(api: Api) -> None:
    client, keys = api
    r = client.get("/v1/flags", headers=_h(keys["acme"]["interviewer"]))
    assert r.status_code == 200
    assert {f["key"] for f in r.json()["flags"]} == {"new-ui", "banner"}
    r = client.get("/v1/flags/new-ui", headers=_h(keys["acme"]["recruiter"]))
    assert r.status_code == 200
    assert r.json()["variants"] == {"on": True, "off": False}
    assert (r.json()["value"], r.json()["variant"]) == (True, "on")
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["acme"]["recruiter"])).json()["value"] is True
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["globex"]["recruiter"])).json()["value"] is False
    missing = client.get("/v1/flags/nope", headers=_h(keys["acme"]["admin"]))
    assert missing.status_code == 404
    assert missing.json()["code"] == "F404"
    assert client.get("/v1/flags").status_code == 401


@pytest.mark.parametrize("role", ["recruiter", "interviewer", "hiring_manager", "compliance"])
def test_only_admins_change_flags(api: Api, role: str) -> None:
    client, keys = api
    for path, body in (("kill", {"reason": "x"}), ("ramp", {"reason": "x", "step": 1}), ("revert", {"reason": "x"})):
        r = client.post(f"/v1/flags/new-ui/{path}", json=body, headers=_h(keys["acme"][role]))
        assert r.status_code == 403, path


def _with_ramp(store: TestDatabase) -> None:
    flag = write(store.owner_url, get_flag("new-ui"))
    flag["metadata"] = {**flag["metadata"], "pavedroad.ramp": "5%:1h,50%:1h,100%", "pavedroad.rampStep": 0}
    write(store.owner_url, put_flag("new-ui", flag, actor=Actor.platform("t"), reason="ramp"))


def _audit_count(store: TestDatabase) -> int:
    with psycopg.connect(store.owner_url) as conn:
        row = conn.execute("select count(*) from pavedroad_meta.flag_audit").fetchone()
    assert row is not None
    return int(row[0])


def test_admin_kills_for_own_tenant_only_and_reverts_its_own_change(api: Api, store: TestDatabase) -> None:
    client, keys = api
    admin = _h(keys["acme"]["admin"])
    r = client.post("/v1/flags/new-ui/kill", json={"reason": "incident 42"}, headers=admin)
    assert r.status_code == 200
    assert r.json()["tenant"] == "acme"
    assert client.get("/v1/flags/new-ui/evaluate", headers=admin).json()["reason"] == "DISABLED"
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["globex"]["admin"])).json()["reason"] != "DISABLED"
    entry = write(store.owner_url, history("new-ui"))[0]
    assert (entry.action, entry.tenant_id, entry.reason, entry.actor_tenant) == ("kill", "acme", "incident 42", "acme")
    assert entry.author.startswith("acme:")
    # Naming another tenant is refused, whatever the scope says.
    other = client.post("/v1/flags/new-ui/kill", json={"reason": "x", "tenant": "globex"}, headers=admin)
    assert other.status_code == 403
    assert "another tenant" in other.json()["message"]
    assert client.post("/v1/flags/new-ui/revert", json={"reason": "fixed"}, headers=admin).status_code == 200
    assert client.get("/v1/flags/new-ui/evaluate", headers=admin).json()["value"] is True


def test_tenant_admin_cannot_kill_ramp_or_revert_for_every_tenant(api: Api, store: TestDatabase) -> None:
    """OWASP API5: a tenant admin is not a platform operator (today's code let acme act for everyone)."""
    client, keys = api
    _with_ramp(store)
    admin = _h(keys["acme"]["admin"])
    before, audited = write(store.owner_url, get_flag("new-ui")), _audit_count(store)
    platform_change = write(store.owner_url, history("new-ui"))[0].id
    attempts = (
        ("kill", {"reason": "x", "scope": "global"}),
        ("kill", {"reason": "x", "scope": "global", "lift": True}),
        ("ramp", {"reason": "x", "step": 1}),
        ("ramp", {"reason": "x", "back": True}),
        ("ramp", {"reason": "x", "guard": "red"}),
        ("revert", {"reason": "x", "change": platform_change}),
    )
    for path, body in attempts:
        r = client.post(f"/v1/flags/new-ui/{path}", json=body, headers=admin)
        assert r.status_code == 403, (path, body, r.text)
        assert r.json()["code"] == "F403"
        assert "platform operator" in r.json()["message"]
    with psycopg.connect(store.owner_url) as conn:
        denied = conn.execute("select actor, action, target, outcome from pavedroad_meta.platform_audit").fetchall()
    assert [(a[1], a[2], a[3]) for a in denied] == [
        (f"flag_{path}", "new-ui", "denied") for path, _ in attempts
    ]  # every refused attempt at a platform action is on the platform's trail
    assert all(a[0].startswith("acme:") for a in denied)
    # "Revert the latest change" means acme's own latest change: it never reaches the platform's.
    assert client.post("/v1/flags/new-ui/revert", json={"reason": "x"}, headers=admin).status_code == 404
    assert write(store.owner_url, get_flag("new-ui")) == before
    assert _audit_count(store) == audited


def test_an_admin_cannot_revert_another_tenants_override(api: Api) -> None:
    client, keys = api
    assert client.post("/v1/flags/new-ui/kill", json={"reason": "ours"}, headers=_h(keys["acme"]["admin"])).is_success
    globex = _h(keys["globex"]["admin"])
    assert client.post("/v1/flags/new-ui/revert", json={"reason": "theirs"}, headers=globex).status_code == 404
    acme_change = client.get("/v1/flags/new-ui", headers=_h(keys["acme"]["admin"])).json()["history"][0]["id"]
    r = client.post("/v1/flags/new-ui/revert", json={"reason": "theirs", "change": acme_change}, headers=globex)
    assert r.status_code == 403
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["acme"]["admin"])).json()["reason"] == "DISABLED"


SECRET_BETA: dict[str, Any] = {
    "state": "ENABLED",
    "variants": {"on": True, "off": False},
    "defaultVariant": "off",
    "targeting": {"if": [{"in": [{"var": "tenant"}, ["acme", "initech-corp"]]}, "on"]},
    "metadata": {"description": "The new offer letters", "pavedroad.owner": "team-offers-internal"},
}


def test_a_tenant_sees_its_own_view_of_a_flag_never_rules_naming_other_tenants(api: Api, store: TestDatabase) -> None:
    """OWASP API3: the definition's targeting names acme and initech-corp; globex reads every flag route and
    the rollouts panel and finds neither name, nor the flag's internal owner, yet its own decision."""
    client, keys = api
    write(store.owner_url, put_flag("secret-beta", SECRET_BETA, actor=Actor.platform("ops"), reason="beta"))
    flag = deepcopy(SECRET_BETA)
    flag["targeting"]["if"][0]["in"][1].append("umbrella-co")
    write(store.owner_url, put_flag("secret-beta", flag, actor=Actor.platform("ops"), reason="one more"))
    globex = _h(keys["globex"]["recruiter"])
    one = client.get("/v1/flags/secret-beta", headers=globex)
    listed = client.get("/v1/flags", headers=globex)
    assert client.post("/dashboard/session", json={"api_key": keys["globex"]["admin"]}).status_code == 204
    panel = client.get("/dashboard/panels/rollouts")
    for r in (one, listed, panel):
        assert r.status_code == 200, r.text
        for hidden in ("acme", "initech-corp", "umbrella-co", "team-offers-internal", "targeting"):
            assert hidden not in r.text, (r.request.url, hidden)
    body = one.json()
    assert (body["key"], body["description"], body["variants"]) == ("secret-beta", "The new offer letters",
                                                                    {"on": True, "off": False})  # fmt: skip
    assert (body["value"], body["variant"], body["tenant_override"], body["ramp"]) == (False, "off", None, None)
    assert [e["action"] for e in body["history"]] == ["set", "create"]
    assert "secret-beta" in panel.text
    # acme's own decision follows the rule it cannot read either; the operator reads the definition.
    acme = client.get("/v1/flags/secret-beta", headers=_h(keys["acme"]["recruiter"])).json()
    assert (acme["value"], "initech-corp" in repr(acme)) == (True, False)
    full = client.get("/v1/flags/secret-beta", headers=_h(keys["platform"]["operator"])).json()
    assert full["definition"]["targeting"] == flag["targeting"]


def test_history_shows_a_tenant_only_its_own_entries_and_no_platform_identity(api: Api) -> None:
    client, keys = api
    acme, globex = _h(keys["acme"]["admin"]), _h(keys["globex"]["recruiter"])
    operator = _h(keys["platform"]["operator"])
    client.post("/v1/flags/new-ui/kill", json={"reason": "acme-own-marker"}, headers=acme)
    client.post("/v1/flags/new-ui/kill", json={"reason": "acme-global-marker", "scope": "global"}, headers=acme)
    assert client.post("/v1/flags/banner/kill", json={"reason": "ops-marker", "scope": "global"}, headers=operator)
    for key in ("new-ui", "banner"):
        seen = client.get(f"/v1/flags/{key}", headers=globex).json()["history"]
        text = repr(seen)
        assert "acme" not in text
        assert "marker" not in text
        assert "olga" not in text
        assert all(e["author"] == "platform" for e in seen)
    banner = client.get("/v1/flags/banner", headers=globex).json()["history"]
    assert banner[0]["action"] == "kill"  # the platform change is visible, not who made it or why
    own = client.get("/v1/flags/new-ui", headers=acme).json()["history"]
    assert own[0]["reason"] == "acme-own-marker"
    assert own[0]["author"].startswith("acme:")
    full = client.get("/v1/flags/banner", headers=operator).json()["history"]
    assert (full[0]["author"], full[0]["reason"]) == ("operator:olga", "ops-marker")


def test_operator_kills_ramps_and_reverts_and_each_is_audited(api: Api, store: TestDatabase) -> None:
    client, keys = api
    _with_ramp(store)
    operator = _h(keys["platform"]["operator"])
    audited = _audit_count(store)
    r = client.post("/v1/flags/new-ui/kill", json={"reason": "global incident", "scope": "global"}, headers=operator)
    assert r.status_code == 200, r.text
    assert client.get("/v1/flags/new-ui/evaluate", headers=_h(keys["globex"]["admin"])).json()["reason"] == "DISABLED"
    assert client.post("/v1/flags/new-ui/revert", json={"reason": "resolved"}, headers=operator).status_code == 200
    r = client.post("/v1/flags/new-ui/ramp", json={"reason": "go", "step": 1, "guard": "green"}, headers=operator)
    assert (r.json()["step"], r.json()["percent"], r.json()["guard"]) == (1, 50.0, "green")
    r = client.post("/v1/flags/new-ui/ramp", json={"reason": "bad", "back": True}, headers=operator)
    assert (r.json()["step"], r.json()["guard"]) == (-1, "red")
    r = client.post("/v1/flags/new-ui/kill", json={"reason": "asked", "tenant": "globex"}, headers=operator)
    assert r.status_code == 200
    assert client.post("/v1/flags/new-ui/kill", json={"reason": "which?"}, headers=operator).status_code == 400
    assert client.post("/v1/flags/new-ui/ramp", json={"reason": "x", "step": 9}, headers=operator).status_code == 409
    assert client.post("/v1/flags/new-ui/ramp", json={"step": 1}, headers=operator).status_code == 422
    entries = write(store.owner_url, history("new-ui"))[: _audit_count(store) - audited]
    assert [e.action for e in reversed(entries)] == ["kill", "revert", "ramp", "ramp", "kill"]
    assert {(e.author, e.actor_tenant) for e in entries} == {("operator:olga", None)}
    assert [e.reason for e in reversed(entries)][:3] == [
        "global incident",
        f"resolved (revert of change #{entries[-1].id})",
        "go",
    ]
    assert entries[0].tenant_id == "globex"


def test_a_tenant_key_is_not_an_operator_credential_and_an_operator_key_reads_no_tenant(
    api: Api, store: TestDatabase
) -> None:
    client, keys = api
    tenant_key = keys["acme"]["admin"]
    secret = tenant_key.split("_", 2)[2]
    for forged in (f"prop_{secret}", f"prop_{secret}{secret}", "prop_" + "a" * 40):
        assert client.get("/v1/flags", headers=_h(forged)).status_code == 401, forged
    operator = _h(keys["platform"]["operator"])
    r = client.get("/v1/jobs", headers=operator)
    assert r.status_code == 403
    assert "operator key cannot act inside a tenant" in r.json()["message"]
    assert client.get("/v1/flags/new-ui/evaluate", headers=operator).status_code == 403
    # The application role can neither list nor mint operator keys.
    with psycopg.connect(store.app_url) as conn:
        assert conn.execute("select count(*) from pavedroad_meta.operator_keys").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "insert into pavedroad_meta.operator_keys (name, key_hash, created_by) values ('eve', %s, 'eve')",
                (hash_key(tenant_key),),
            )
    cache = cache_for(client.app.state.pool)  # type: ignore[attr-defined]
    generation = cache.generation
    with psycopg.connect(store.owner_url) as conn:
        revoke_operator(conn, "olga", by="test")
    assert cache.wait_for_invalidation(generation, timeout=30), "the revocation was never heard"
    r = client.post("/v1/flags/new-ui/kill", json={"reason": "x", "scope": "global"}, headers=operator)
    assert r.status_code == 401
