"""``pavedroad canary status|explain|verdict|simulate``: refusals and the empty cases (decisions with numbers
are pinned in tests/integration/canary/test_cli.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pavedroad.cli.canary import app

pytestmark = pytest.mark.integration


def test_explain_of_a_rollout_without_decisions_is_not_found(cli: CliRunner) -> None:
    result = cli.invoke(app, ["explain", "no-such-rollout"])
    assert result.exit_code == 2
    assert "no decisions recorded for rollout 'no-such-rollout'" in result.output


def test_status_without_decisions_is_empty(cli: CliRunner) -> None:
    result = cli.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) in ([], {})


def test_verdict_without_slices_is_inconclusive(cli: CliRunner) -> None:
    """No traffic recorded for either cohort: the verdict neither passes nor fails the canary."""
    result = cli.invoke(app, ["verdict", "--baseline", "v1", "--canary", "v2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "inconclusive"


def test_verdict_on_an_unknown_dimension_is_refused(cli: CliRunner) -> None:
    result = cli.invoke(app, ["verdict", "--baseline", "v1", "--canary", "v2", "--dimension", "colour"])
    assert result.exit_code == 2
    assert "dimension must be version or variant" in result.output


def test_a_verdict_window_under_a_minute_is_a_usage_error(cli: CliRunner) -> None:
    result = cli.invoke(app, ["verdict", "--baseline", "v1", "--canary", "v2", "--window", "5"])
    assert result.exit_code == 2
    assert "--window" in result.output


def test_simulate_names_the_known_scenarios_when_one_is_unknown(cli: CliRunner) -> None:
    result = cli.invoke(app, ["simulate", "--scenario", "nope", "--runs", "50"])
    assert result.exit_code == 2
    assert "no scenario named nope" in result.output
    assert "known:" in result.output
