"""`pavedroad events check-schemas` fails (exit 2) on a breaking change and passes on the real snapshot."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pavedroad.cli.events import app, default_snapshot

runner = CliRunner()


def test_checked_in_snapshot_passes() -> None:
    result = runner.invoke(app, ["check-schemas"])
    assert result.exit_code == 0, result.output
    assert "compatible" in result.output


def test_breaking_change_fails_with_the_field_named(tmp_path: Path) -> None:
    """A snapshot with a field the code no longer has: the field was removed, which is breaking."""
    snapshot = json.loads(default_snapshot().read_text())
    snapshot["stage_moved@v1"]["json_schema"]["properties"]["reason"] = {"type": "string"}
    path = tmp_path / "lock.json"
    path.write_text(json.dumps(snapshot))
    result = runner.invoke(app, ["check-schemas", "--snapshot", str(path)])
    assert result.exit_code == 2
    assert "stage_moved@v1: field 'reason' was removed" in result.output
    assert "EV409" in result.output


def test_update_rewrites_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "lock.json"
    result = runner.invoke(app, ["check-schemas", "--snapshot", str(path), "--update"])
    assert result.exit_code == 0, result.output
    assert "application_created@v1" in json.loads(path.read_text())
