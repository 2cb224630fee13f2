"""`pavedroad flags ramp` prints when the step started and when it moves next as dates with "in 1h"
or "2m ago", not as seconds since the epoch."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pavedroad.cli.flags import app
from pavedroad.cli.humanize import duration, moment
from pavedroad.settings import get_settings
from pavedroad.testing import TestDatabase

from .conftest import FLAGS

EPOCH_SECONDS = re.compile(r"\b1[0-9]{9}(\.[0-9]+)?\b")


@pytest.fixture
def cli_db(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values ('acme', 'Acme')")
    yield database
    get_settings.cache_clear()


def _ok(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_ramp_prints_human_times(cli_db: TestDatabase, tmp_path: Path) -> None:
    file = tmp_path / "flags.json"
    file.write_text(json.dumps(FLAGS))
    _ok("set", "--file", str(file), "-r", "seed")

    started = _ok("ramp", "banner", "10%:1h,100%", "--rollout", "b", "--guard", "green", "-r", "start")
    position = json.loads(started[started.index("{\n") :])
    assert EPOCH_SECONDS.search(started) is None
    assert position["next_change_at"].endswith("(in 1h)")
    assert position["since"].endswith("(now)")

    shown = json.loads(_ok("ramp", "banner"))
    assert EPOCH_SECONDS.search(json.dumps(shown)) is None
    assert re.search(r"\(in (1h|[0-9]+m( [0-9]+s)?)\)$", shown["next_change_at"])


def test_durations_and_moments_read_as_words() -> None:
    assert [duration(s) for s in (0, 45, 7140, 3600, 90061)] == ["0s", "45s", "1h 59m", "1h", "1d 1h"]
    assert moment(None, 0.0) == "—"
    assert moment(float("inf"), 0.0, missing="held until moved") == "held until moved"
    assert moment(1_000.0, 1_120.0).endswith("(2m ago)")
