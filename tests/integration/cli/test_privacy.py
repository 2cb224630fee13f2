"""``pavedroad privacy export|erase|hold``: one candidate's data out, anonymised, or held — in one tenant only."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pavedroad.cli.privacy import app
from pavedroad.testing import TestDatabase
from tests.integration.privacy.seed import World

pytestmark = pytest.mark.integration


def _candidate(owner_url: str, candidate_id: int) -> tuple[str, str]:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("select first_name, email from candidates where id = %s", (candidate_id,)).fetchone()
    assert row is not None
    return row[0], row[1]


def test_export_prints_the_candidates_data_as_json(
    cli: CliRunner, worlds: tuple[World, World], database: TestDatabase
) -> None:
    alpha, _ = worlds
    cid = alpha.candidates[0]
    result = cli.invoke(app, ["export", "--candidate", str(cid), "--tenant", "alpha"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert _candidate(database.owner_url, cid)[1] in result.stdout
    assert exported  # one section per linked table


def test_export_writes_to_a_file_when_asked(cli: CliRunner, worlds: tuple[World, World], tmp_path: Path) -> None:
    alpha, _ = worlds
    out = tmp_path / "subject.json"
    result = cli.invoke(app, ["export", "--candidate", str(alpha.candidates[0]), "--tenant", "alpha", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout.replace("\n", "")
    assert json.loads(out.read_text())


def test_export_of_another_tenants_candidate_is_not_found(cli: CliRunner, worlds: tuple[World, World]) -> None:
    """Naming beta's candidate as tenant alpha exits 2 with a not-found error, and prints no data."""
    _, beta = worlds
    result = cli.invoke(app, ["export", "--candidate", str(beta.candidates[0]), "--tenant", "alpha"])
    assert result.exit_code == 2
    assert "not found" in result.output
    assert "{" not in result.stdout


def test_erase_anonymises_the_candidate_and_a_second_run_does_nothing(
    cli: CliRunner, worlds: tuple[World, World], database: TestDatabase
) -> None:
    alpha, _ = worlds
    cid = alpha.candidates[0]
    result = cli.invoke(app, ["erase", "--candidate", str(cid), "--tenant", "alpha", "--yes"])
    assert result.exit_code == 0, result.output
    assert f"erased candidate {cid}" in result.stdout
    assert _candidate(database.owner_url, cid) == ("erased", "erased")
    again = cli.invoke(app, ["erase", "--candidate", str(cid), "--tenant", "alpha", "--yes"])
    assert again.exit_code == 0
    assert "already erased" in again.stdout


def test_erase_asks_first_and_a_no_changes_nothing(
    cli: CliRunner, worlds: tuple[World, World], database: TestDatabase
) -> None:
    alpha, _ = worlds
    cid = alpha.candidates[0]
    before = _candidate(database.owner_url, cid)
    result = cli.invoke(app, ["erase", "--candidate", str(cid), "--tenant", "alpha"], input="n\n")
    assert result.exit_code == 1  # aborted
    assert "cannot be undone" in result.output
    assert _candidate(database.owner_url, cid) == before


def test_erase_of_another_tenants_candidate_changes_nothing(
    cli: CliRunner, worlds: tuple[World, World], database: TestDatabase
) -> None:
    _, beta = worlds
    cid = beta.candidates[0]
    before = _candidate(database.owner_url, cid)
    result = cli.invoke(app, ["erase", "--candidate", str(cid), "--tenant", "alpha", "--yes"])
    assert result.exit_code == 2
    assert _candidate(database.owner_url, cid) == before


def test_a_hold_blocks_erasure_until_it_is_released(
    cli: CliRunner, worlds: tuple[World, World], database: TestDatabase
) -> None:
    alpha, _ = worlds
    cid = str(alpha.candidates[0])
    placed = cli.invoke(app, ["hold", "--candidate", cid, "--tenant", "alpha", "--reason", "case 42"])
    assert placed.exit_code == 0, placed.output
    assert "placed legal hold" in placed.stdout
    blocked = cli.invoke(app, ["erase", "--candidate", cid, "--tenant", "alpha", "--yes"])
    assert blocked.exit_code == 2
    assert "legal hold" in blocked.output
    released = cli.invoke(app, ["hold", "--candidate", cid, "--tenant", "alpha", "--reason", "closed", "--release"])
    assert released.exit_code == 0, released.output
    assert "released 1 hold(s)" in released.stdout
    assert cli.invoke(app, ["erase", "--candidate", cid, "--tenant", "alpha", "--yes"]).exit_code == 0


@pytest.mark.parametrize("candidate", ["0", "x"])
def test_a_candidate_id_that_is_not_positive_is_a_usage_error(cli: CliRunner, candidate: str) -> None:
    result = cli.invoke(app, ["export", "--candidate", candidate, "--tenant", "alpha"])
    assert result.exit_code == 2
    assert "--candidate" in result.output
