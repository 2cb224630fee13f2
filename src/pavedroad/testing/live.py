"""A live pavedroad service on a free loopback port, in a background thread, for browser and fuzz tests."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from pavedroad.db import free_port
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings

__all__ = ["LiveService"]


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
