"""``pavedroad events status|dlq|replay``: the pipeline's figures, its dead letters and a replay into the mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pavedroad.cli.events import app
from pavedroad.cli.warehouse import app as warehouse_app
from tests.integration.privacy.seed import World

pytestmark = pytest.mark.integration


def test_status_counts_the_undelivered_outbox(cli: CliRunner, own_stream: str, worlds: tuple[World, World]) -> None:
    """Seeded rows are not events; a fresh pipeline reports its stream, no backlog and no dead letters."""
    result = cli.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stream"] == own_stream
    assert report["dlq_messages"] == 0


def test_status_prints_a_table_by_default(cli: CliRunner, own_stream: str) -> None:
    result = cli.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "outbox backlog" in result.stdout


def test_no_dead_letters_lists_nothing_and_replays_nothing(cli: CliRunner, own_stream: str) -> None:
    listed = cli.invoke(app, ["dlq", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.strip() == ""
    table = cli.invoke(app, ["dlq", "list"])
    assert table.exit_code == 0, table.output
    assert "dead letters (0)" in table.stdout
    replayed = cli.invoke(app, ["dlq", "replay"])
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 0 dead letter(s)" in replayed.stdout


def test_replay_from_an_empty_stream_loads_nothing(cli: CliRunner, own_stream: str, tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    assert cli.invoke(warehouse_app, ["rebuild", "--path", str(path)]).exit_code == 0
    result = cli.invoke(app, ["replay", "--from", "1", "--warehouse", str(path)])
    assert result.exit_code == 0, result.output
    assert "replayed 0 events" in result.stdout


def test_replay_needs_a_positive_sequence(cli: CliRunner) -> None:
    result = cli.invoke(app, ["replay", "--from", "0"])
    assert result.exit_code == 2
    assert "--from" in result.output
