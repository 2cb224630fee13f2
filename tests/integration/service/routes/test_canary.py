"""The canary routes are for a tenant's admins: other roles get 403, no key 401; pause and resume say
plainly when no controller runs here; a verdict's window is bounded."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

VERDICT = {"baseline": "v1", "canary": "v2", "window": "1h"}


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_pause_and_resume_are_refused_to_a_tenant_admin(as_role: Any, action: str) -> None:
    """Pausing a rollout changes it for every tenant: a tenant's admin is refused, saying who may."""
    response = as_role("alpha", "admin").post(f"/v1/canary/new-search/{action}")
    assert response.status_code == 403
    assert "operator" in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1/canary/new-search/pause", None),
        ("post", "/v1/canary/new-search/resume", None),
        ("post", "/v1/canary/verdict", VERDICT),
        ("get", "/v1/canary/new-search/decisions", None),
    ],
)
@pytest.mark.parametrize("role", ["recruiter", "compliance"])
def test_roles_other_than_admin_are_403(as_role: Any, method: str, path: str, body: Any, role: str) -> None:
    caller = as_role("alpha", role)
    response = caller.post(path, body) if method == "post" else caller.get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/v1/canary/new-search/pause", "/v1/canary/verdict"])
def test_without_a_key_is_401(as_role: Any, path: str) -> None:
    assert as_role("alpha", None).post(path, VERDICT).status_code == 401


def test_a_verdict_with_no_traffic_is_inconclusive(as_role: Any) -> None:
    response = as_role("alpha", "admin").post("/v1/canary/verdict", VERDICT)
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "inconclusive"


@pytest.mark.parametrize("window", ["8d", "0s"])
def test_a_verdict_window_outside_one_second_to_seven_days_is_400(as_role: Any, window: str) -> None:
    response = as_role("alpha", "admin").post("/v1/canary/verdict", {**VERDICT, "window": window})
    assert response.status_code == 400
    assert "between 1s and 7d" in response.json()["message"]


def test_a_rollout_name_with_a_control_character_is_422(as_role: Any) -> None:
    """A NUL or other control character in the name is refused before it can reach Postgres."""
    assert as_role("alpha", "admin").get("/v1/canary/bad%01name/decisions").status_code == 422


def test_the_flagger_webhook_refuses_a_key_that_is_not_an_admins(client: Any, keys: dict[str, dict[str, str]]) -> None:
    """Flagger sends the key in its metadata; a recruiter's key is refused as 401, never judged."""
    metadata = {"api_key": keys["alpha"]["recruiter"], "baseline": "v1", "canary": "v2"}
    response = client.post("/v1/canary/webhooks/flagger", json={"name": "api", "metadata": metadata})
    assert response.status_code == 401
    assert "admin" in response.json()["message"]
