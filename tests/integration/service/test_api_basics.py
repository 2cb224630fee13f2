"""The service end to end: health, auth failures with clear bodies, isolation through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_missing_key_is_401_with_a_hint(client: TestClient) -> None:
    response = client.get("/v1/jobs")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "E401"
    assert "API key" in body["message"]
    assert body["hint"]
    assert body["request_id"]


def test_unknown_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/jobs", headers=_auth("pr_alpha_" + "x" * 32))
    assert response.status_code == 401
    assert "unknown" in response.json()["message"]


def test_key_claiming_another_tenant_does_not_resolve(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    """A key rewritten to claim tenant beta is looked up in beta, where its hash does not exist."""
    secret = keys["alpha"]["admin"].split("_", 2)[2]
    response = client.get("/v1/jobs", headers=_auth(f"pr_beta_{secret}"))
    assert response.status_code == 401


def test_each_tenant_lists_only_its_jobs(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    for tenant in ("alpha", "beta"):
        items = client.get("/v1/jobs", headers=_auth(keys[tenant]["recruiter"])).json()["items"]
        assert [j["title"] for j in items] == [f"{tenant} engineer"]


def test_other_tenants_application_is_404(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.get("/v1/applications/1", headers=_auth(keys["beta"]["admin"]))
    assert response.status_code == 404
    assert response.json()["code"] == "E404"


def test_unknown_route_is_404_json(client: TestClient) -> None:
    response = client.get("/v1/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "E404"


def test_bad_parameter_is_422_with_field_path(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.get("/v1/jobs?limit=0&status=maybe", headers=_auth(keys["alpha"]["admin"]))
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"query.limit", "query.status"} <= paths


def test_tampered_cursor_is_400(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.get("/v1/jobs?cursor=%%%%", headers=_auth(keys["alpha"]["admin"]))
    assert response.status_code == 400
    assert "cursor" in response.json()["message"]


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/jobs" in spec["paths"]


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    """A caller's X-Request-ID comes back unchanged; without one, the service makes one."""
    assert client.get("/healthz", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    assert client.get("/healthz", headers={"x-request-id": "x" * 100}).headers["x-request-id"] != "x" * 100
