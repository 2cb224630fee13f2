"""CLI fixtures: commands run in-process (Typer's CliRunner) against the test database, given to them the
way an operator would, through PAVEDROAD_DATABASE_URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pavedroad.settings import get_settings
from pavedroad.testing import TestDatabase
from tests.integration.privacy.seed import World, seed_tenant


@pytest.fixture
def cli(database: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose commands reach the test database (and keep any files under ``tmp_path``)."""
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    monkeypatch.setenv("PAVEDROAD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def worlds(database: TestDatabase) -> tuple[World, World]:
    """Tenants alpha and beta with users, jobs, candidates and their applications."""
    return seed_tenant(database.owner_url, "alpha"), seed_tenant(database.owner_url, "beta")


@pytest.fixture
def own_stream(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared test NATS, with an event stream and subjects of this test's own; returns the stream name."""
    suffix = uuid.uuid4().hex[:10]
    monkeypatch.setenv("PAVEDROAD_NATS_URL", nats_url)
    monkeypatch.setenv("PAVEDROAD_EVENTS_STREAM", f"CLI_{suffix}")
    monkeypatch.setenv("PAVEDROAD_EVENTS_SUBJECT_PREFIX", f"cli{suffix}")
    return f"CLI_{suffix}"
