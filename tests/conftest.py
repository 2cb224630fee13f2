"""Shared fixtures: real Postgres and NATS for the session, a fresh migrated database per test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pavedroad.testing import TestDatabase, TestServers, start_test_servers

# The whole session's log output is checked for personal values seeded into any test database.
pytest_plugins = ["pavedroad.privacy.leakcheck"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
CONFORMANCE = SHARED / "conformance"


def pytest_configure(config: pytest.Config) -> None:
    """Keep everything a test run writes (flag snapshots, demo keys) out of the working tree."""
    if "PAVEDROAD_DATA_DIR" not in os.environ:
        os.environ["PAVEDROAD_DATA_DIR"] = tempfile.mkdtemp(prefix="pavedroad-data-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration is marked ``integration``."""
    for item in items:
        if "/tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    """One embedded Postgres and NATS for the whole test session."""
    with start_test_servers() as running:
        yield running


@pytest.fixture
def database(servers: TestServers) -> Iterator[TestDatabase]:
    """A fresh, migrated database for one test (owner and pavedroad_app URLs)."""
    db = servers.new_database()
    yield db
    servers.drop_database(db)


@pytest.fixture
def nats_url(servers: TestServers) -> str:
    assert servers.nats_url is not None
    return servers.nats_url


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """``../shared/conformance``; tests that need it skip with a reason when it is absent."""
    if not CONFORMANCE.is_dir():
        pytest.skip(f"conformance data not found at {CONFORMANCE} (it lives beside the repository, in shared/)")
    return CONFORMANCE
