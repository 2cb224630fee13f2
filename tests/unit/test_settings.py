"""Settings are validated at start and name the setting that is wrong."""

from __future__ import annotations

import pytest

from pavedroad.errors import ConfigurationError
from pavedroad.settings import load_settings


def test_defaults_mean_embedded_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing configured, no URL is set, so the embedded servers are used."""
    for name in ("PAVEDROAD_DATABASE_URL", "PAVEDROAD_NATS_URL"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_settings()
    assert cfg.database_url is None
    assert cfg.nats_url is None
    assert cfg.http_port == 8000


def test_bad_database_url_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL of the wrong scheme is refused with the setting's name and the expected form."""
    monkeypatch.setenv("PAVEDROAD_DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert "PAVEDROAD_DATABASE_URL" in info.value.message
    assert info.value.hint is not None
    assert "postgresql://" in info.value.hint


@pytest.mark.parametrize(("name", "value"), [("PAVEDROAD_HTTP_PORT", "70000"), ("PAVEDROAD_HTTP_PORT", "abc")])
def test_bad_port_names_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """A port out of range or not a number names PAVEDROAD_HTTP_PORT and its range."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert name in info.value.message
    assert "65535" in (info.value.hint or "")


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAVEDROAD_LOG_LEVEL", "DEBUG")
    assert load_settings().log_level == "debug"
    monkeypatch.setenv("PAVEDROAD_LOG_LEVEL", "loud")
    with pytest.raises(ConfigurationError, match="PAVEDROAD_LOG_LEVEL"):
        load_settings()
