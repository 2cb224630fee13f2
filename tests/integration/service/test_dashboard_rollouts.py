"""The rollouts panel offers a tenant admin only what it may do: kill, lift and revert its own tenant's
override; never a global change, and no Revert button where the tenant has nothing of its own to undo."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.flags import Actor
from pavedroad.flags.store import get_flag, put_flag, run
from pavedroad.tenancy.operators import issue_operator
from pavedroad.testing import TestDatabase

FLAG = {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"}


@pytest.fixture
def flag(database: TestDatabase) -> str:
    with psycopg.connect(database.owner_url) as conn:
        run(conn, put_flag("new-scorecards", FLAG, actor=Actor.platform("test"), reason="set up"))
        conn.commit()
        run(conn, put_flag("new-scorecards", {**FLAG, "defaultVariant": "off"}, actor=Actor.platform("test"),
                           reason="platform change"))  # fmt: skip
    return "new-scorecards"


def _sign_in(client: TestClient, key: str) -> None:
    assert client.post("/dashboard/session", json={"api_key": key}).status_code == 204


def test_revert_is_offered_only_for_the_tenants_own_override(
    client: TestClient, keys: dict[str, dict[str, str]], flag: str, database: TestDatabase
) -> None:
    _sign_in(client, keys["alpha"]["admin"])
    panel = client.get("/dashboard/panels/rollouts").text
    assert "Kill</button>" in panel
    assert "Revert</button>" not in panel  # the latest change is the platform's: not alpha's to undo
    refused = client.post("/dashboard/panels/rollouts/revert", data={"key": flag})
    assert 'class="error"' in refused.text
    with psycopg.connect(database.owner_url) as conn:
        assert run(conn, get_flag(flag))["defaultVariant"] == "off"
    assert "killed" in client.post("/dashboard/panels/rollouts/kill", data={"key": flag}).text
    panel = client.get("/dashboard/panels/rollouts").text
    assert "Lift kill</button>" in panel
    assert "Revert</button>" in panel
    reverted = client.post("/dashboard/panels/rollouts/revert", data={"key": flag})
    assert "reverted alpha&#39;s latest change" in reverted.text
    assert "Revert</button>" not in reverted.text
    with psycopg.connect(database.owner_url) as conn:
        assert run(conn, get_flag(flag))["defaultVariant"] == "off"  # the platform's change stands


def test_an_operator_key_does_not_sign_in_to_a_tenant_dashboard(client: TestClient, database: TestDatabase) -> None:
    with psycopg.connect(database.owner_url) as conn:
        key = issue_operator(conn, "olga", by="test")
    r = client.post("/dashboard/session", json={"api_key": key})
    assert r.status_code == 403
    assert "operator" in r.json()["message"]
