"""``pavedroad canary status|explain|simulate`` against a real database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from psycopg_pool import AsyncConnectionPool
from typer.testing import CliRunner

from pavedroad.canary import Action, Decision, MetricResult
from pavedroad.canary.store import PostgresDecisionSink
from pavedroad.cli.main import app
from pavedroad.settings import get_settings
from pavedroad.testing import TestDatabase


@pytest.fixture
def cli_env(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _store(app_url: str) -> None:
    result = MetricResult(
        "error_rate", "msprt-poisson-ratio", True, 5000, 1200, 0.002, 0.04, 20.0, 8.1, 41.0, 30.2, 7.6, 0.0025
    )
    decision = Decision(
        "new-search", Action.ROLLBACK, "[harm] error_rate: canary/baseline 20.00", time.time(), 2, 1, (result,)
    )

    async def go() -> None:
        pool = AsyncConnectionPool(app_url, min_size=1, max_size=1, open=False)
        await pool.open(wait=True)
        try:
            await PostgresDecisionSink(pool).emit(decision)
        finally:
            await pool.close()

    asyncio.run(go())


def test_status_and_explain_show_the_decision_and_its_numbers(database: TestDatabase, cli_env: CliRunner) -> None:
    _store(database.app_url)
    status = cli_env.invoke(app, ["canary", "status"])
    assert status.exit_code == 0, status.output
    assert "new-search" in status.output
    assert "rollback" in status.output
    explain = cli_env.invoke(app, ["canary", "explain", "new-search"])
    assert explain.exit_code == 0, explain.output
    assert "error_rate" in explain.output
    assert "ALARM" in explain.output
    missing = cli_env.invoke(app, ["canary", "explain", "nope"])
    assert missing.exit_code == 2
    assert "C404" in missing.output


def test_simulate_prints_false_alarms_and_power() -> None:
    out = CliRunner().invoke(
        app, ["canary", "simulate", "--runs", "100", "--scenario", "identical", "--scenario", "errors_x2_high_traffic"]
    )
    assert out.exit_code == 0, out.output
    assert "identical" in out.output
    assert "naive-z" in out.output
    bad = CliRunner().invoke(app, ["canary", "simulate", "--scenario", "nope"])
    assert bad.exit_code == 2
