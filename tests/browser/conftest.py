"""Browser tests: a live service on loopback and headless Chromium (Debian's package) driven by Playwright.

They skip with a clear reason when no Chromium is installed. Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.testing import TestDatabase
from pavedroad.testing.live import LiveService
from tests.integration.service.conftest import _seed_minimal

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium); browser tests need a real browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def live(database: TestDatabase, tmp_path: Path) -> Iterator[tuple[LiveService, dict[str, dict[str, str]]]]:
    _seed_minimal(database.owner_url)
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha", "beta"])
    with LiveService(database.app_url) as service:
        yield service, keys


def screenshot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
