"""``pavedroad audit tail|search``: a tenant's audit trail, newest first, filtered, never another tenant's."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pavedroad.cli.audit import app
from pavedroad.cli.common import console
from pavedroad.cli.privacy import app as privacy_app
from tests.integration.privacy.seed import World

pytestmark = pytest.mark.integration


@pytest.fixture
def audited(cli: CliRunner, worlds: tuple[World, World]) -> tuple[World, World]:
    """One export in alpha and one in beta, each leaving an audit event in its own tenant."""
    for world in worlds:
        result = cli.invoke(privacy_app, ["export", "--candidate", str(world.candidates[0]), "--tenant", world.tenant])
        assert result.exit_code == 0, result.output
    return worlds


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_tail_shows_only_the_tenants_own_events(cli: CliRunner, audited: tuple[World, World]) -> None:
    alpha, beta = audited
    result = cli.invoke(app, ["tail", "--tenant", "alpha", "--json"])
    assert result.exit_code == 0, result.output
    events = _lines(result.stdout)
    assert [e["action"] for e in events] == ["export"]
    assert {e["subject_id"] for e in events} == {str(alpha.candidates[0])}
    beta_events = _lines(cli.invoke(app, ["tail", "--tenant", "beta", "--json"]).stdout)
    assert {e["subject_id"] for e in beta_events} == {str(beta.candidates[0])}


def test_tail_prints_a_table_by_default(
    cli: CliRunner, audited: tuple[World, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)
    result = cli.invoke(app, ["tail", "--tenant", "alpha"])
    assert result.exit_code == 0, result.output
    assert "export" in result.stdout
    assert "outcome" in result.stdout


@pytest.mark.parametrize(
    ("flags", "count"),
    [
        (["--action", "export"], 1),
        (["--action", "erase"], 0),
        (["--entity", "candidates", "--outcome", "ok"], 1),
        (["--outcome", "denied"], 0),
        (["--since-hours", "1"], 1),
    ],
)
def test_search_keeps_events_matching_every_filter(
    cli: CliRunner, audited: tuple[World, World], flags: list[str], count: int
) -> None:
    result = cli.invoke(app, ["search", "--tenant", "alpha", "--json", *flags])
    assert result.exit_code == 0, result.output
    assert len(_lines(result.stdout)) == count


def test_a_limit_out_of_range_is_a_usage_error(cli: CliRunner) -> None:
    result = cli.invoke(app, ["tail", "--tenant", "alpha", "--limit", "0"])
    assert result.exit_code == 2
    assert "--limit" in result.output
