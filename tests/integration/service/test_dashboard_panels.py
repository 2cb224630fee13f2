"""Dashboard panels render from the same route functions as the JSON API, for the signed-in role."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from fastapi.testclient import TestClient

from pavedroad.flags import Actor
from pavedroad.flags.store import put_flag, run
from pavedroad.testing import TestDatabase

FLAG = {
    "state": "ENABLED",
    "variants": {"on": True, "off": False},
    "defaultVariant": "off",
    "targeting": {"fractional": [["on", 50], ["off", 50]]},
    "metadata": {"pavedroad.owner": "platform"},
}


@pytest.fixture
def flag(database: TestDatabase) -> str:
    with psycopg.connect(database.owner_url) as conn:
        run(conn, put_flag("new-scorecards", FLAG, actor=Actor.platform("test"), reason="set up"))
    return "new-scorecards"


def _sign_in(client: TestClient, key: str) -> None:
    assert client.post("/dashboard/session", json={"api_key": key}).status_code == 204


def test_admin_sees_every_panel_recruiter_fewer(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    _sign_in(client, keys["alpha"]["admin"])
    admin_page = client.get("/dashboard").text
    for name in ("overview", "query", "endpoints", "slos", "rollouts", "events", "audit"):
        assert f'data-panel="{name}"' in admin_page
    _sign_in(client, keys["alpha"]["recruiter"])
    recruiter_page = client.get("/dashboard").text
    assert 'data-panel="events"' not in recruiter_page
    assert client.get("/dashboard/panels/events").status_code == 404


@pytest.mark.parametrize("panel", ["overview", "query", "endpoints", "slos", "rollouts", "events", "audit"])
def test_each_panel_renders_for_an_admin(client: TestClient, keys: dict[str, dict[str, str]], panel: str) -> None:
    _sign_in(client, keys["alpha"]["admin"])
    response = client.get(f"/dashboard/panels/{panel}")
    assert response.status_code == 200, response.text
    assert "E500" not in response.text


def test_query_console_runs_a_query(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    _sign_in(client, keys["alpha"]["recruiter"])
    text = "jobs\n| select id, title\n| sort id"
    response = client.post("/dashboard/panels/query/run", data={"query": text})
    assert response.status_code == 200
    assert "alpha engineer" in response.text
    assert "beta engineer" not in response.text


def test_query_console_shows_the_caret_for_a_bad_query(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    _sign_in(client, keys["alpha"]["recruiter"])
    response = client.post("/dashboard/panels/query/run", data={"query": "jobs\n| select titel"})
    assert response.status_code == 200
    assert 'class="error"' in response.text
    assert "^" in response.text
    assert "title" in response.text  # did you mean


def test_admin_kill_switch_takes_effect(client: TestClient, keys: dict[str, dict[str, str]], flag: str) -> None:
    _sign_in(client, keys["alpha"]["admin"])
    listing = client.get("/dashboard/panels/rollouts").text
    assert flag in listing
    headers = {"Authorization": f"Bearer {keys['alpha']['admin']}"}
    assert client.get(f"/v1/flags/{flag}/evaluate", headers=headers).json()["reason"] != "DISABLED"
    response = client.post("/dashboard/panels/rollouts/kill", data={"key": flag})
    assert response.status_code == 200
    assert f"killed {flag}" in response.text
    evaluated = client.get(f"/v1/flags/{flag}/evaluate", headers=headers).json()
    assert evaluated["reason"] == "DISABLED", evaluated
    flags = {f["key"]: f for f in client.get("/v1/flags", headers=headers).json()["flags"]}
    assert flags[flag]["tenant_override"] == "killed"
    other = client.get("/v1/flags", headers={"Authorization": f"Bearer {keys['beta']['admin']}"}).json()
    assert {f["key"]: f for f in other["flags"]}[flag]["tenant_override"] is None


def test_recruiter_cannot_kill(client: TestClient, keys: dict[str, dict[str, str]], flag: str) -> None:
    _sign_in(client, keys["alpha"]["recruiter"])
    assert "Kill</button>" not in client.get("/dashboard/panels/rollouts").text
    response = client.post("/dashboard/panels/rollouts/kill", data={"key": flag})
    assert 'class="error"' in response.text
    assert "may not change flags" in response.text


def test_explain_shows_passes_sql_and_the_hot_plan_node(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    _sign_in(client, keys["alpha"]["admin"])
    response = client.post(
        "/dashboard/panels/query/explain", data={"query": "jobs | group status | aggregate n = count()"}
    )
    assert response.status_code == 200, response.text
    for part in ("scope_tenant", "Tenant predicates", "SELECT", 'data-hot="1"'):
        assert part in response.text


def test_audit_panel_lists_accesses_for_compliance_only(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    client.get("/v1/jobs", headers={"Authorization": f"Bearer {keys['alpha']['recruiter']}"})
    _sign_in(client, keys["alpha"]["compliance"])
    panel = client.get("/dashboard/panels/audit")
    assert panel.status_code == 200
    assert "jobs" in panel.text
    assert "recruiter" in panel.text
    _sign_in(client, keys["alpha"]["interviewer"])
    assert client.get("/dashboard/panels/audit").status_code == 404


def test_endpoints_table_lists_api_routes_and_one_unmatched_row(
    client: TestClient, keys: dict[str, dict[str, str]], database: TestDatabase
) -> None:
    """Dashboard pages and static files are not API endpoints; requests no route matched are one row
    named "unmatched", whatever their method."""
    routes = [("/v1/jobs", "GET"), ("/dashboard/panels/{name}", "GET"), ("/dashboard/static/{path}", "GET"),
              ("/", "GET"), ("<unmatched>", "GET"), ("<unmatched>", "POST")]  # fmt: skip
    with psycopg.connect(database.owner_url) as conn:
        for route, method in routes:
            conn.execute(
                "insert into pavedroad_meta.slo_slices (service, kind, slice_start, route, method, status_class,"
                " version, variant, slice_seconds, total, bad, latency_sum, latency_min, latency_max, sketch)"
                " values ('recruiting', 'http', now() - interval '5 minutes', %s, %s, '2xx', 'dev', 'default', 10,"
                " 10, 0, 0.1, 0.01, 0.01, '{}')",
                (route, method),
            )
    _sign_in(client, keys["alpha"]["admin"])
    html = client.get("/dashboard/panels/endpoints").text
    assert "GET /v1/jobs" in html
    assert "/dashboard" not in html
    assert "&lt;unmatched&gt;" not in html
    assert html.count('class="unmatched"') == 1
    unmatched_row = html.split('class="unmatched"')[1].split("</tr>")[0]
    assert ">20<" in unmatched_row.replace(" ", "")  # both methods' requests in the one row


def _chart_series(html: str, css_class: str) -> list[dict[str, object]]:
    """The data-series specs of the charts with ``css_class`` in a panel's HTML."""
    import html as html_lib
    import json
    import re

    found = re.findall(r"class=\"chart " + css_class + r"\" data-series='([^']*)'", html)
    return [json.loads(html_lib.unescape(spec)) for spec in found]


def test_burn_down_only_falls(client: TestClient, keys: dict[str, dict[str, str]], database: TestDatabase) -> None:
    """Errors early in the period spend budget; good traffic afterwards does not give it back: the
    remaining budget never rises, and it ends where the status says it is."""
    with psycopg.connect(database.owner_url) as conn:
        for minutes_ago in range(0, 120, 10):
            bad = 5 if minutes_ago >= 90 else 0
            conn.execute(
                "insert into pavedroad_meta.slo_slices (service, kind, slice_start, route, method, status_class,"
                " version, variant, slice_seconds, total, bad, latency_sum, latency_min, latency_max, sketch)"
                " values ('recruiting', 'http', now() - make_interval(mins => %s), '/v1/jobs', 'GET', %s, 'dev',"
                " 'default', 10, 1000, %s, 1.5, 0.005, 0.05, '{}')",
                (minutes_ago, "5xx" if bad else "2xx", bad),
            )
    _sign_in(client, keys["alpha"]["admin"])
    html = client.get("/dashboard/panels/slos").text
    charts = _chart_series(html, "burndown")
    assert charts
    for chart in charts:
        values = chart["series"][0]["values"]  # type: ignore[index]
        assert values[0] == 1.0
        assert all(b <= a for a, b in itertools.pairwise(values)), values
        assert values[-1] < 1.0
    headers = {"Authorization": f"Bearer {keys['alpha']['admin']}"}
    api = client.get("/v1/slo/api-availability/burndown", params={"step": "10m"}, headers=headers).json()
    remaining = [p["remaining"] for p in api["series"]]
    assert min(remaining) < 1.0
    assert all(b <= a for a, b in itertools.pairwise(remaining)), remaining
