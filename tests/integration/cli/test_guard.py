"""``pavedroad guard check|migrations``: the shipped stack passes both guardrails (the failing cases are in
tests/integration/privacy/test_guard_cli.py)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pavedroad.cli.guard import app

pytestmark = pytest.mark.integration


def test_the_shipped_catalog_is_scoped_keyed_and_classified(cli: CliRunner) -> None:
    result = cli.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "catalog check passed" in result.stdout


def test_the_shipped_migrations_are_online_safe(cli: CliRunner) -> None:
    result = cli.invoke(app, ["migrations", "--no-squawk"])
    assert result.exit_code == 0, result.output
    assert "migrations are online-safe" in result.stdout


def test_json_output_of_a_clean_check_is_empty(cli: CliRunner) -> None:
    """JSON mode prints one line per finding and nothing else, so a clean run prints nothing."""
    result = cli.invoke(app, ["migrations", "--no-squawk", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
