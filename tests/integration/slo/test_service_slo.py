"""The recorder in the real service: route templates on /metrics, slices merged into Postgres, /v1/slo."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.slo import SliceFlusher, counts_query, decode_counts
from pavedroad.testing import TestDatabase


def _seed(owner_url: str) -> None:
    with psycopg.connect(owner_url) as conn:
        for n, tenant in enumerate(("alpha", "beta"), start=1):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
            conn.execute("insert into departments (tenant_id, id, name) values (%s, %s, 'Eng')", (tenant, n))
            conn.execute("insert into locations (tenant_id, id, name, country) values (%s, %s, 'Remote', 'US')",
                         (tenant, n))
            conn.execute(
                "insert into jobs (tenant_id, id, title, department_id, location_id) values (%s, %s, %s, %s, %s)",
                (tenant, n, f"{tenant} engineer", n, n),
            )


@pytest.fixture
def keys(database: TestDatabase, tmp_path: Path) -> dict[str, dict[str, str]]:
    _seed(database.owner_url)
    return ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha", "beta"])


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_requests_are_recorded_by_route_template_and_merged_into_postgres(
    database: TestDatabase, keys: dict[str, dict[str, str]]
) -> None:
    """Raw paths never become labels; the tenant never reaches Prometheus; slices land in Postgres."""
    alpha = next(iter(keys["alpha"].values()))
    app = create_app(load_settings(deploy_version="v42"), database.app_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(5):
            assert client.get("/v1/jobs", headers=_auth(alpha)).status_code == 200
        for app_id in (1, 2, 3):
            client.get(f"/v1/applications/{app_id}", headers=_auth(alpha))
        assert client.get("/no/such/path/123").status_code == 404
        body = client.get("/metrics").text
        assert 'route="/v1/jobs"' in body
        assert 'route="/v1/applications/{application_id}"' in body
        assert "/v1/applications/1" not in body
        assert "/no/such/path" not in body
        assert 'route="<unmatched>"' in body
        assert 'version="v42"' in body
        assert "alpha" not in body  # tenants are not Prometheus labels
        count_line = next(
            line for line in body.splitlines()
            if line.startswith("http_request_duration_seconds_count") and 'route="/v1/jobs"' in line
        )
        assert float(count_line.rsplit(" ", 1)[1]) == 5.0
    # leaving the client ran the lifespan shutdown: the flusher wrote what was left
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute(
            "select route, method, status_class, tenant_id, sum(total) from pavedroad_meta.slo_slices"
            " where service = 'recruiting' group by 1, 2, 3, 4"
        ).fetchall()
    by_route = {(r[0], r[3]): int(r[4]) for r in rows}
    assert by_route[("/v1/jobs", "alpha")] == 5
    assert by_route[("/v1/applications/{application_id}", "alpha")] == 3
    assert ("<unmatched>", "") in by_route


def test_slo_api_status_top_and_burndown(database: TestDatabase, keys: dict[str, dict[str, str]]) -> None:
    """The dashboard endpoints answer from the stored slices; other tenants' views are refused."""
    alpha = next(iter(keys["alpha"].values()))
    app = create_app(load_settings(), database.app_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(20):
            client.get("/v1/jobs", headers=_auth(alpha))
        assert client.app.state.slo_flusher is not None  # type: ignore[attr-defined]
        flusher: SliceFlusher = client.app.state.slo_flusher  # type: ignore[attr-defined]
        assert client.portal is not None
        client.portal.call(flusher.flush)

        top = client.get("/v1/slo/top", params={"by": "p99", "window": "1h"}, headers=_auth(alpha))
        assert top.status_code == 200, top.text
        routes = {(r["route"], r["method"]): r for r in top.json()["routes"]}
        assert routes[("/v1/jobs", "GET")]["total"] == 20
        assert routes[("/v1/jobs", "GET")]["p99_s"] > 0

        status = client.get("/v1/slo/status", headers=_auth(alpha)).json()
        names = {s["name"]: s for s in status["slos"]}
        assert names["jobs-latency"]["events"] == 20
        assert names["api-availability"]["bad"] == 0

        mine = client.get("/v1/slo/status", params={"tenant": "alpha"}, headers=_auth(alpha))
        assert mine.status_code == 200
        theirs = client.get("/v1/slo/status", params={"tenant": "beta"}, headers=_auth(alpha))
        assert theirs.status_code == 403
        assert theirs.json()["hint"]

        chart = client.get("/v1/slo/jobs-latency/burndown", params={"step": "1h"}, headers=_auth(alpha))
        assert chart.status_code == 200
        series = chart.json()["series"]
        assert series
        assert series[-1]["remaining"] <= 1.0

        missing = client.get("/v1/slo/nope/burndown", headers=_auth(alpha))
        assert missing.status_code == 404
        bad_window = client.get("/v1/slo/top", params={"window": "soon"}, headers=_auth(alpha))
        assert bad_window.status_code == 400
        assert client.get("/v1/slo/status").status_code == 401


def test_slo_api_refuses_degenerate_durations(database: TestDatabase, keys: dict[str, dict[str, str]]) -> None:
    """A zero step or an absurd window is a 400 naming the bounds, never a 500."""
    alpha = next(iter(keys["alpha"].values()))
    app = create_app(load_settings(), database.app_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, params in (("/v1/slo/jobs-latency/burndown", {"step": "0s"}),
                             ("/v1/slo/jobs-latency/burndown", {"step": "1ms"}),
                             ("/v1/slo/top", {"window": "0s"}), ("/v1/slo/top", {"window": "5y"})):
            response = client.get(path, params=params, headers=_auth(alpha))
            assert response.status_code == 400, (path, params, response.text)
            assert "between" in response.json()["hint"]


def test_api_slos_and_top_count_api_routes_only(database: TestDatabase, keys: dict[str, dict[str, str]]) -> None:
    """Dashboard pages, static files, docs and unmatched paths are not API calls: the api-availability SLO
    (``route_prefix: /v1/`` in slos.yaml) and ``/v1/slo/top`` leave them out."""
    alpha = next(iter(keys["alpha"].values()))
    app = create_app(load_settings(), database.app_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(7):
            assert client.get("/v1/jobs", headers=_auth(alpha)).status_code == 200
        for path in ("/dashboard/login", "/dashboard/login", "/dashboard/static/dashboard.css", "/docs",
                     "/openapi.json", "/no/such/page"):  # fmt: skip
            client.get(path)
        flusher: SliceFlusher = client.app.state.slo_flusher  # type: ignore[attr-defined]
        assert client.portal is not None
        client.portal.call(flusher.flush)
        top = client.get("/v1/slo/top", params={"by": "total", "window": "1h"}, headers=_auth(alpha))
        assert top.status_code == 200, top.text
        ranked = [r["route"] for r in top.json()["routes"]]
        assert "/v1/jobs" in ranked
        assert all(route.startswith("/v1/") for route in ranked), ranked
        (slo,) = [s for s in client.app.state.slo_specs if s.name == "api-availability"]  # type: ignore[attr-defined]
    windows = [3600.0]
    with psycopg.connect(database.owner_url) as conn:
        recorded = {r[0] for r in conn.execute("select distinct route from pavedroad_meta.slo_slices").fetchall()}
        assert {"/dashboard/login", "<unmatched>"} <= recorded, recorded  # they were recorded, yet not counted:
        counts = decode_counts(conn.execute(*counts_query(slo, time.time() + 1, windows)).fetchall(), windows)
        api = conn.execute(
            "select sum(total) from pavedroad_meta.slo_slices where route like '/v1/%' and service = 'recruiting'"
        ).fetchone()
    assert api is not None
    assert counts[""][3600.0].total == int(api[0])
    assert counts["alpha"][3600.0].total >= 7
