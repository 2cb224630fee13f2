"""A live pavedroad service on a free loopback port, for browser and fuzz tests: in a background thread
(``LiveService``), or in its own interpreter (``LiveServiceProcess``) for tests that must share no
process state with the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from types import TracebackType

import uvicorn

from pavedroad.db import free_port, port_in_use
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings

__all__ = ["LiveService", "LiveServiceProcess"]


class LiveService:
    """uvicorn serving ``create_app`` against ``app_url``; a context manager that waits until it serves."""

    def __init__(self, app_url: str, *, start_timeout: float = 20.0) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(load_settings(), app_url), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="pavedroad-live-service")
        self.start_timeout = start_timeout

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveService:
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the live service did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class LiveServiceProcess:
    """uvicorn serving ``pavedroad.service.asgi:create`` against ``app_url`` in a child interpreter; a
    context manager that waits until it listens and stops the child on exit.

    Why a process: a server thread shares module state with the test. Hypothesis refuses a strategy
    during which the global ``random`` changes, and the server's connection pool draws from it (expiry
    jitter) whenever it opens a connection in the background, so a fuzz test beside an in-process server
    fails at random. The child has its own ``random``, and serves as ``pavedroad serve --workers`` does.
    """

    def __init__(self, app_url: str, *, start_timeout: float = 60.0) -> None:
        self.port = free_port()
        self.app_url = app_url
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServiceProcess:
        command = [sys.executable, "-m", "uvicorn", "pavedroad.service.asgi:create", "--factory",
                   "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]  # fmt: skip
        env = {**os.environ, "PAVEDROAD_APP_DATABASE_URL": self.app_url}
        self.process = subprocess.Popen(command, env=env)
        deadline = time.monotonic() + self.start_timeout
        while not self._healthy():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self._stop()
                raise RuntimeError(f"the live service process did not start on port {self.port}")
            time.sleep(0.1)
        return self

    def _healthy(self) -> bool:
        return port_in_use(self.port)  # uvicorn listens only once the app's startup (pool open) is done

    def _stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()
