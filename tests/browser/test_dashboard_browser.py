"""The dashboard in a real browser: sign in with a demo key and see the tenant's panels."""

from __future__ import annotations

from typing import Any

import pytest

from pavedroad.testing.live import LiveService
from tests.browser.conftest import screenshot

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
