"""The dashboard in a real browser: sign in with a demo key and see the tenant's panels."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from pavedroad.flags import Actor
from pavedroad.flags.store import put_flag, run
from pavedroad.testing import TestDatabase
from pavedroad.testing.live import LiveService
from tests.browser.conftest import screenshot
from tests.integration.service.test_dashboard_panels import FLAG

pytestmark = pytest.mark.browser


def _sign_in(browser: Any, service: LiveService, key: str) -> Any:
    page = browser.new_page()
    page.goto(f"{service.url}/dashboard")
    page.wait_for_url("**/dashboard/login")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{service.url}/dashboard")
    return page


def test_sign_in_and_see_overview(browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]]) -> None:
    service, keys = live
    page = _sign_in(browser, service, keys["alpha"]["recruiter"])
    page.wait_for_selector("#overview table")
    assert "alpha · recruiter" in page.inner_text("header")
    assert "open jobs" in page.inner_text("#overview")
    screenshot(page, "dashboard-overview")
    page.close()


def test_wrong_key_shows_the_reason(browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]]) -> None:
    service, _ = live
    page = browser.new_page()
    page.goto(f"{service.url}/dashboard/login")
    page.fill("#api_key", "pr_alpha_" + "q" * 30)
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:not(:empty)")
    assert "unknown" in page.inner_text("#login-error")
    page.close()


def test_query_console_runs_explains_and_shows_the_caret(
    browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]]
) -> None:
    service, keys = live
    page = _sign_in(browser, service, keys["alpha"]["admin"])
    page.wait_for_selector("#query-run")
    page.fill("#query-text", "jobs\n| select id, title\n| sort id")
    page.click("#query-run")
    page.wait_for_selector("#query-result table.query-rows")
    assert "alpha engineer" in page.inner_text("#query-result")
    assert "beta engineer" not in page.inner_text("#query-result")
    page.click("#query-explain")
    page.wait_for_selector("#query-result tr.hot")
    screenshot(page, "dashboard-explain")
    page.fill("#query-text", "jobs\n| select titel")
    page.click("#query-run")
    page.wait_for_selector("#query-result pre.error")
    error = page.inner_text("#query-result pre.error")
    assert "^" in error
    assert "did you mean 'title'" in error
    screenshot(page, "dashboard-query-error")
    page.close()


def test_kill_switch_from_the_dashboard_takes_effect(
    browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]], database: TestDatabase
) -> None:
    service, keys = live
    with psycopg.connect(database.owner_url) as conn:
        run(conn, put_flag("new-scorecards", FLAG, actor=Actor.platform("test"), reason="set up"))
    page = _sign_in(browser, service, keys["alpha"]["admin"])
    page.on("dialog", lambda dialog: dialog.accept())
    page.wait_for_selector('#rollouts tr[data-flag="new-scorecards"] button.kill')
    page.click('#rollouts tr[data-flag="new-scorecards"] button.kill')
    page.wait_for_selector("#rollouts [role=status]")
    assert "killed new-scorecards" in page.inner_text("#rollouts")
    screenshot(page, "dashboard-kill-switch")
    page.close()
    headers = {"Authorization": f"Bearer {keys['alpha']['admin']}"}
    with httpx.Client(base_url=service.url, headers=headers) as http:
        assert http.get("/v1/flags/new-scorecards/evaluate").json()["reason"] == "DISABLED"


def test_slo_panel_draws_its_charts(
    browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]], database: TestDatabase
) -> None:
    """Two hours of recorded slices (as the recorder writes them), then one uPlot canvas per SLO."""
    service, keys = live
    with psycopg.connect(database.owner_url) as conn:
        for minutes_ago in range(0, 120, 10):
            conn.execute(
                "insert into pavedroad_meta.slo_slices (service, kind, slice_start, route, method, status_class,"
                " version, variant, slice_seconds, total, bad, latency_sum, latency_min, latency_max, sketch)"
                " values ('recruiting', 'http', now() - make_interval(mins => %s), '/v1/jobs', 'GET', %s, 'dev',"
                " 'default', 10, 100, %s, 1.5, 0.005, 0.05, '{}')",
                (minutes_ago, "5xx" if minutes_ago % 30 == 0 else "2xx", 100 if minutes_ago % 30 == 0 else 0),
            )
    page = _sign_in(browser, service, keys["alpha"]["admin"])
    page.wait_for_selector("#slos .slo canvas")
    assert page.locator("#slos .slo canvas").count() >= 1
    assert "objective" in page.inner_text("#slos")
    screenshot(page, "dashboard-slos")
    page.close()
