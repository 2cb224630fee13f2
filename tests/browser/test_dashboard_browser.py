"""The dashboard in a real browser: sign in with a demo key and see the tenant's panels."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest

from pavedroad.flags import Actor
from pavedroad.flags.store import put_flag, run
from pavedroad.query import Limits
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


def test_query_console_pages_through_a_long_list(
    browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]], database: TestDatabase
) -> None:
    """A list longer than the default page shows one page and a "Next page" control that follows the cursor."""
    service, keys = live
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "insert into jobs (tenant_id, id, title, department_id, location_id, openings)"
            " select 'alpha', 1000 + n, 'paged job ' || n, d.id, l.id, 1 from generate_series(1, 150) n,"
            " (select min(id) id from departments where tenant_id = 'alpha') d,"
            " (select min(id) id from locations where tenant_id = 'alpha') l"
        )
    size = Limits().default_page
    page = _sign_in(browser, service, keys["alpha"]["admin"])
    page.wait_for_selector("#query-run")
    page.fill("#query-text", "jobs | select id, title")
    page.click("#query-run")
    page.wait_for_selector("#query-next")
    assert page.locator("#query-result table.query-rows tr").count() == size + 1  # header row + one page
    assert "page 1" in page.inner_text("#query-summary")
    first_ids = page.locator("#query-result table.query-rows td:first-child").all_inner_texts()
    page.click("#query-next")
    page.wait_for_selector("#query-summary:has-text('page 2')")
    second_ids = page.locator("#query-result table.query-rows td:first-child").all_inner_texts()
    assert second_ids
    assert not set(first_ids) & set(second_ids)
    assert int(second_ids[0]) > int(first_ids[-1])
    screenshot(page, "dashboard-query-pages")
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


def test_slo_chart_shows_the_first_minute_with_the_objective_on_its_axis(
    browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]], database: TestDatabase
) -> None:
    """Less than a minute of traffic already draws the SLI chart, with points, and its y-axis spans the
    objective even when every request was good (an SLI of 100% alone would squeeze the axis to 1.0)."""
    service, keys = live
    with psycopg.connect(database.owner_url) as conn:
        for seconds_ago in (5, 15, 25, 35, 45):
            conn.execute(
                "insert into pavedroad_meta.slo_slices (service, kind, slice_start, route, method, status_class,"
                " version, variant, slice_seconds, total, bad, latency_sum, latency_min, latency_max, sketch)"
                " values ('recruiting', 'http', now() - make_interval(secs => %s), '/v1/jobs', 'GET', '2xx', 'dev',"
                " 'default', 10, 100, 0, 1.5, 0.005, 0.05, '{}')",
                (seconds_ago,),
            )
    page = _sign_in(browser, service, keys["alpha"]["admin"])
    chart = '#slos .slo[data-slo="recruiting-api-availability"] .chart'  # the first: SLI and objective
    page.wait_for_selector(f"{chart} canvas")
    points, y_min, y_max, objective = page.eval_on_selector(
        chart,
        "el => [el.uplot.data[0].length, el.uplot.scales.y.min, el.uplot.scales.y.max,"
        " JSON.parse(el.dataset.series).series[1].values[0]]",
    )
    assert points >= 2
    assert y_min <= objective <= y_max
    screenshot(page, "dashboard-slo-first-minute")
    page.close()


def test_anchor_links_do_not_hide_titles_under_the_sticky_header(
    browser: Any, live: tuple[LiveService, dict[str, dict[str, str]]]
) -> None:
    service, keys = live
    page = _sign_in(browser, service, keys["alpha"]["admin"])
    page.set_viewport_size({"width": 900, "height": 500})
    page.wait_for_selector("#audit table, #audit p")
    for name in ("slos", "rollouts", "events"):
        page.click(f'header nav a[href="#{name}"]')
        page.wait_for_function(f"() => location.hash === '#{name}'")
        header_bottom = page.eval_on_selector("header", "el => el.getBoundingClientRect().bottom")
        title_top = page.eval_on_selector(f"#{name} h2", "el => el.getBoundingClientRect().top")
        assert title_top >= header_bottom, (name, title_top, header_bottom)
    page.close()
