"""``pavedroad slo status|top|prune`` on a database with no recorded traffic, and their refusals (the
ranking and burning of recorded traffic is pinned in tests/integration/slo/test_cli.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pavedroad.cli.common import console
from pavedroad.cli.slo import app

pytestmark = pytest.mark.integration


def test_without_traffic_every_slo_has_its_whole_budget_and_nothing_fires(cli: CliRunner) -> None:
    result = cli.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    statuses = json.loads(result.stdout)
    assert statuses
    for status in statuses:
        assert (status["events"], status["firing"]) == (0, [])


def test_status_prints_one_row_per_slo(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)
    result = cli.invoke(app, ["status", "--tenant", "alpha"])
    assert result.exit_code == 0, result.output
    assert "SLO status for tenant alpha" in result.stdout
    assert "recruiting-api-availability" in result.stdout


def test_top_without_traffic_ranks_nothing(cli: CliRunner) -> None:
    result = cli.invoke(app, ["top", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_an_empty_window_is_refused(cli: CliRunner) -> None:
    result = cli.invoke(app, ["top", "--window", "0s"])
    assert result.exit_code == 2
    assert "--window 0s is empty" in result.output


def test_prune_of_an_empty_store_deletes_nothing(cli: CliRunner) -> None:
    result = cli.invoke(app, ["prune"])
    assert result.exit_code == 0, result.output
    assert "deleted 0 slice row(s) older than 35d" in result.stdout
