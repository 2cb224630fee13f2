"""The dashboard: sign-in with an API key, role-filtered panels, fragments that need a session."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_page_without_session_redirects_to_sign_in(client: TestClient) -> None:
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert "Sign in" in client.get("/dashboard/login").text


def test_sign_in_sets_an_httponly_cookie_and_shows_panels(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.post("/dashboard/session", json={"api_key": keys["alpha"]["recruiter"]})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "alpha · recruiter" in page.text
    assert 'data-panel="overview"' in page.text


def test_bad_key_is_refused_with_a_reason(client: TestClient) -> None:
    response = client.post("/dashboard/session", json={"api_key": "pr_alpha_" + "z" * 30})
    assert response.status_code == 401
    assert response.json()["message"]
    assert "set-cookie" not in response.headers


def test_overview_counts_only_the_signed_in_tenant(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    client.post("/dashboard/session", json={"api_key": keys["beta"]["admin"]})
    fragment = client.get("/dashboard/panels/overview")
    assert fragment.status_code == 200
    assert "open jobs" in fragment.text
    # beta has exactly one open job and no applications
    assert ">1</td>" in fragment.text


def test_panel_fragment_needs_a_session(client: TestClient) -> None:
    response = client.get("/dashboard/panels/overview")
    assert response.status_code == 401


def test_unknown_panel_is_404(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    client.post("/dashboard/session", json={"api_key": keys["alpha"]["admin"]})
    assert client.get("/dashboard/panels/nope").status_code == 404


def test_vendored_assets_are_served(client: TestClient) -> None:
    assert client.get("/dashboard/static/vendor/htmx-2.0.11.min.js").status_code == 200
    assert client.get("/dashboard/static/dashboard.css").status_code == 200
