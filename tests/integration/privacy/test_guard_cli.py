"""``pavedroad guard check|migrations`` as CI runs them: exit 1 and one line per finding, with the fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.settings import get_settings
from pavedroad.testing import TestServers


@pytest.fixture
def runner(servers: TestServers, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", servers.admin_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_check_fails_on_an_unscoped_table_with_one_line_per_finding(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "0001_notes.sql").write_text("CREATE TABLE notes (id bigint PRIMARY KEY, body text);")
    result = runner.invoke(app, ["guard", "check", "--extra-migrations", str(tmp_path), "--json"])
    assert result.exit_code == 1
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    notes = {f["code"] for f in findings if f["subject"].startswith("public.notes")}
    assert {"G101", "G102", "G103", "G104", "G105", "G106"} <= notes
    assert all(f["fix"] for f in findings)


def test_migrations_fails_on_a_blocking_index(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "0002_index.sql").write_text("CREATE INDEX jobs_title ON jobs (tenant_id, title);\n")
    result = runner.invoke(app, ["guard", "migrations", "--extra-migrations", str(tmp_path), "--no-squawk"])
    assert result.exit_code == 1
    assert "M201 extra0:0002_index.sql:1: CREATE INDEX on existing table jobs blocks writes" in result.output
