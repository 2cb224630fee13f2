"""``pavedroad warehouse rebuild|export``: the DuckDB mirror rebuilt from Postgres, then written as Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pavedroad.cli.warehouse import app
from tests.integration.privacy.seed import World

pytestmark = pytest.mark.integration


def test_rebuild_copies_postgres_then_export_writes_every_table(
    own_stream: None, cli: CliRunner, worlds: tuple[World, World], tmp_path: Path
) -> None:
    """Both tenants' candidates reach the mirror; the export says how many rows it wrote and writes Parquet."""
    path = tmp_path / "wh.duckdb"
    rebuilt = cli.invoke(app, ["rebuild", "--path", str(path)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "rebuilt" in rebuilt.stdout
    with duckdb.connect(str(path), read_only=True) as duck:
        candidates = duck.execute("select count(*) from candidates").fetchone()
    assert candidates == (sum(len(w.candidates) for w in worlds),)
    out = tmp_path / "parquet"
    exported = cli.invoke(app, ["export", "--path", str(path), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "exported" in exported.stdout
    assert any(out.rglob("*.parquet"))


def test_export_defaults_to_the_warehouse_in_the_data_directory(cli: CliRunner, tmp_path: Path) -> None:
    """Without --path the warehouse is <data dir>/warehouse.duckdb, created (empty) when missing."""
    out = tmp_path / "parquet"
    result = cli.invoke(app, ["export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "warehouse.duckdb").exists()
