"""``pavedroad flags`` against a real store: set, list, show, kill, ramp (with preview), revert."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pavedroad.cli.flags import app
from pavedroad.flags.store import get_flag, history
from pavedroad.settings import get_settings
from pavedroad.testing import TestDatabase

from .conftest import FLAGS, write

runner = CliRunner()


@pytest.fixture
def cli_db(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    with psycopg.connect(database.owner_url) as conn:
        for tenant in ("acme", "globex", "initech"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
    yield database
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_set_list_kill_revert(cli_db: TestDatabase, tmp_path: Path) -> None:
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(FLAGS))
    assert "published" in _ok("set", "--file", str(file), "-r", "initial import", "--author", "ana")
    listed = json.loads(_ok("list", "--json"))
    assert {row["key"] for row in listed} == {"new-ui", "banner"}
    _ok("kill", "new-ui", "-r", "incident", "--author", "ops")
    assert write(cli_db.owner_url, get_flag("new-ui"))["state"] == "DISABLED"
    _ok("revert", "new-ui", "-r", "resolved", "--author", "ops")
    assert write(cli_db.owner_url, get_flag("new-ui"))["state"] == "ENABLED"
    _ok("kill", "banner", "--tenant", "acme", "-r", "tenant asked", "--author", "ops")
    entries = write(cli_db.owner_url, history("banner"))
    assert (entries[0].action, entries[0].tenant_id, entries[0].author) == ("kill", "acme", "ops")
    shown = json.loads(_ok("show", "banner", "--json"))
    assert shown["overrides"] == {"acme": "KILLED"}
    bad = runner.invoke(app, ["set", "x", "--json", '{"state": "ENABLED", "variants": {}}', "-r", "r"])
    assert bad.exit_code == 2
    assert "F400" in bad.output


def test_ramp_preview_publishes_nothing_and_then_publishes(cli_db: TestDatabase, tmp_path: Path) -> None:
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(FLAGS))
    _ok("set", "--file", str(file), "-r", "seed")
    out = _ok("ramp", "banner", "100%", "--rollout", "b", "--preview", "-r", "try")
    assert "who flips" in out
    assert '"tenants_affected": 3' in out
    assert "pavedroad.ramp" not in write(cli_db.owner_url, get_flag("banner"))["metadata"]
    _ok("ramp", "banner", "10%:1h,100%", "--rollout", "b", "--guard", "green", "-r", "start")
    meta = write(cli_db.owner_url, get_flag("banner"))["metadata"]
    assert (meta["pavedroad.ramp"], meta["pavedroad.guard"], meta["pavedroad.rampStep"]) == ("10%:1h,100%", "green", 0)
    _ok("ramp", "banner", "--to", "1", "-r", "go")
    assert write(cli_db.owner_url, get_flag("banner"))["metadata"]["pavedroad.rampStep"] == 1
    _ok("ramp", "banner", "--back", "-r", "errors up")
    meta = write(cli_db.owner_url, get_flag("banner"))["metadata"]
    assert (meta["pavedroad.rampStep"], meta["pavedroad.guard"]) == (-1, "red")


def test_lint_and_eval_work_on_a_file_without_a_database(tmp_path: Path) -> None:
    file = tmp_path / "flags.json"
    doc = json.loads(json.dumps(FLAGS))
    doc["flags"]["banner"]["metadata"] = {"pavedroad.expires": "2001-01-01"}
    file.write_text(json.dumps(doc))
    out = json.loads(_ok("eval", "new-ui", "--file", str(file), "--ctx", '{"tenant": "acme"}'))
    assert (out["value"], out["reason"]) == (True, "TARGETING_MATCH")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text('flags.enabled("new-ui")\n')
    result = runner.invoke(app, ["lint", "--file", str(file), "--src", str(src), "--json"])
    assert result.exit_code == 1
    kinds = {(f["key"], f["kind"]) for f in json.loads(result.output)}
    assert kinds == {("banner", "expired"), ("banner", "unreferenced")}
