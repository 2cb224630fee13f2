"""``pavedroad slo validate|rules`` need no servers."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from pavedroad.cli.slo import DEFAULT_SPEC, app

runner = CliRunner()


def test_validate_lists_the_recruiting_slos() -> None:
    result = runner.invoke(app, ["validate", str(DEFAULT_SPEC)])
    assert result.exit_code == 0, result.output
    assert "recruiting-jobs" in result.output


def test_rules_write_prometheus_rule_groups(tmp_path: Path) -> None:
    out = tmp_path / "rules.yaml"
    result = runner.invoke(app, ["rules", str(DEFAULT_SPEC), "-l", "team=platform", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(out.read_text())
    names = [g["name"] for g in document["groups"]]
    assert "sloth-slo-alerts-recruiting-jobs-latency" in names
    first = document["groups"][0]["rules"][0]
    assert first["labels"]["team"] == "platform"


def test_bad_input_exits_2_with_a_hint(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", str(DEFAULT_SPEC), "-l", "oops"])
    assert result.exit_code == 2
    assert "k=v" in result.output
    missing = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2
    assert "no SLO spec" in missing.output
