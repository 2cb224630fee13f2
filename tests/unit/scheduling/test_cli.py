"""``pavedroad schedule``: solve a file, explain an infeasible one, refuse bad input with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pavedroad.cli.main import app

from .test_explain import _request


def _flat(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def _write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_solve_prints_the_schedule_as_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schedule", "solve", _write(tmp_path, _request(2, True)), "--json"])
    assert result.exit_code == 0, result.output
    schedule = json.loads(result.output)
    assert schedule["status"] == "optimal"
    assert schedule["placements"][0]["seats"] == [{"interviewer": "dana", "role": "lead"}]


def test_an_infeasible_request_prints_why_and_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schedule", "solve", _write(tmp_path, _request(1, True))])
    assert result.exit_code == 1, result.output
    assert "no qualified system design interviewer is free" in _flat(result.output)
    assert "weekly interview limit of Dana would allow" in _flat(result.output)


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    data = _request(1, True)
    data["candidates"][0]["sessions"][0]["pool"] = ""
    result = CliRunner().invoke(app, ["schedule", "solve", _write(tmp_path, data)])
    assert result.exit_code == 2
    assert "S422" in _flat(result.output)
    assert "candidates.0.sessions.0.pool" in _flat(result.output)
    missing = CliRunner().invoke(app, ["schedule", "solve", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
    assert "no such file" in _flat(missing.output)
    (tmp_path / "bad.json").write_text("{not json")
    garbled = CliRunner().invoke(app, ["schedule", "solve", str(tmp_path / "bad.json")])
    assert garbled.exit_code == 2
    assert "not JSON" in _flat(garbled.output)


def test_example_writes_a_request_that_parses() -> None:
    result = CliRunner().invoke(app, ["schedule", "example", "--interviewers", "5"])
    assert result.exit_code == 0
    assert len(json.loads(result.output)["interviewers"]) == 5
