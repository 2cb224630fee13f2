"""`pavedroad demo` and `pavedroad serve` run with no arguments: the port comes from the settings."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.settings import get_settings


@pytest.fixture
def taken_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """PAVEDROAD_HTTP_PORT names a port something already listens on, so the command stops before it
    starts any server, after it has parsed its options and read the settings."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        monkeypatch.setenv("PAVEDROAD_HTTP_PORT", str(port))
        monkeypatch.setenv("PAVEDROAD_HTTP_HOST", "127.0.0.1")
        get_settings.cache_clear()
        yield port
    get_settings.cache_clear()


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_no_port_option_means_the_configured_port(taken_port: int, command: str) -> None:
    result = CliRunner().invoke(app, [command])
    assert "Invalid value for '--port'" not in result.output
    assert f"port {taken_port} on 127.0.0.1 is already in use" in result.output
    assert result.exit_code == 2
