"""``pavedroad operator issue|list|revoke``: keys only the owner URL can mint, stored hashed, revoked at once."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.service.app import create_app
from pavedroad.settings import get_settings, load_settings
from pavedroad.tenancy import cache_for, hash_key
from pavedroad.testing import TestDatabase

runner = CliRunner()


@pytest.fixture
def owner_env(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", database.owner_url)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_issue_list_and_revoke_an_operator_key(owner_env: TestDatabase) -> None:
    printed = _cli("operator", "issue", "olga", "--by", "ci").splitlines()
    key = next(line for line in printed if line.startswith("prop_"))
    with psycopg.connect(owner_env.owner_url) as conn:
        stored = conn.execute("select key_hash, created_by from pavedroad_meta.operator_keys").fetchall()
    assert stored == [(hash_key(key), "ci")]  # only the hash is kept
    again = runner.invoke(app, ["operator", "issue", "olga"])
    assert again.exit_code != 0
    assert "already has a live key" in again.output
    assert "olga" in _cli("operator", "list")
    with TestClient(create_app(load_settings(), owner_env.app_url), raise_server_exceptions=False) as client:
        cache = cache_for(client.app.state.pool)  # type: ignore[attr-defined]
        assert cache.wait_listening(30)
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/v1/flags", headers=headers).status_code == 200
        before = cache.generation
        _cli("operator", "revoke", "olga", "--by", "ci")
        assert cache.wait_for_invalidation(before, 30)
        assert client.get("/v1/flags", headers=headers).status_code == 401
    assert runner.invoke(app, ["operator", "revoke", "olga"]).exit_code != 0
    bad = runner.invoke(app, ["operator", "issue", "Not A Name"])
    assert bad.exit_code != 0
    assert "not of the form" in bad.output
