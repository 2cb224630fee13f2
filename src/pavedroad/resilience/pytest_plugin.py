"""pytest plugin for the egress guard: tests fail on any outbound connection that bypasses a pipeline.

Per test: use the ``egress_guard`` fixture (import it into a ``conftest.py``:
``from pavedroad.resilience.pytest_plugin import egress_guard``). For a whole suite: load the plugin
(``-p pavedroad.resilience.pytest_plugin`` in ``addopts``, or ``pytest_plugins`` in the root conftest) and
turn it on with ``--egress-guard`` or the ini option ``egress_guard = true``. Loopback (the embedded
Postgres and NATS, local fault servers) is always allowed; more hosts or CIDRs come from the ini list
``egress_allow`` or ``PAVEDROAD_RESILIENCE_EGRESS_ALLOW`` (comma-separated).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from pavedroad.resilience import guard

__all__ = ["egress_guard", "pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--egress-guard", action="store_true", help="fail tests that connect out bypassing a pipeline")
    parser.addini("egress_guard", type="bool", default=False, help="turn the egress guard on for every test")
    parser.addini("egress_allow", type="linelist", default=[], help="hosts or CIDRs the egress guard allows")


def _allow(config: pytest.Config) -> list[str]:
    raw = os.environ.get("PAVEDROAD_RESILIENCE_EGRESS_ALLOW", "")
    allow = [item.strip() for item in raw.split(",") if item.strip()]
    with contextlib.suppress(ValueError):  # the plugin's options are unregistered (fixture imported, plugin not loaded)
        allow.extend(config.getini("egress_allow"))
    return allow


@pytest.fixture
def egress_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Enforce the egress guard for this test."""
    with guard.egress_guard(allow=_allow(request.config)):
        yield


@pytest.fixture(autouse=True)
def _egress_guard_everywhere(request: pytest.FixtureRequest) -> Iterator[None]:
    config = request.config
    if config.getoption("--egress-guard", default=False) or config.getini("egress_guard"):
        with guard.egress_guard(allow=_allow(config)):
            yield
    else:
        yield
