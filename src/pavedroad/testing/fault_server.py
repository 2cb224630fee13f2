"""``FaultServer``: a real HTTP server on loopback that a test can tell to misbehave.

Modes: ``ok()`` (200 + JSON), ``slow(seconds)``, ``error(status, retry_after=None)``, ``reset()`` (the
connection is closed with an RST before any response), ``down()`` (the port stops listening: connection
refused) and ``up()`` (listening again on the same port). ``hits`` counts requests that reached it, so a
test can prove an open breaker made no call. HTTP/1.0, one request per connection, threads.

    >>> with FaultServer() as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["FaultServer"]


@dataclass
class _Mode:
    kind: str = "ok"
    seconds: float = 0.0
    status: int = 200
    retry_after: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fault: FaultServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Resets and aborted clients are part of the script: no tracebacks on stderr."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``hits``, not access logs."""

    def _serve(self) -> None:
        fault = self.server.fault
        mode = fault._arrived(self.path)
        if mode.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if mode.kind == "slow" and fault._stopping.wait(mode.seconds):
            return  # the server is going away: drop the request like a dying process would
        status = mode.status if mode.kind == "error" else 200
        body = json.dumps({"status": status, "path": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if mode.retry_after is not None:
            self.send_header("Retry-After", mode.retry_after)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 - the stdlib's dispatch names

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket was reset on purpose
            super().finish()


class FaultServer:
    """A loopback HTTP server with switchable faults; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._mode = _Mode()
        self._lock = threading.Lock()
        self._hits = 0
        self.paths: list[str] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hits(self) -> int:
        """Requests that reached the server (reset ones included)."""
        with self._lock:
            return self._hits

    def _arrived(self, path: str) -> _Mode:
        with self._lock:
            self._hits += 1
            self.paths.append(path)
            return self._mode

    def _set(self, **mode: Any) -> None:
        with self._lock:
            self._mode = _Mode(**mode)

    def ok(self) -> None:
        self._set()

    def slow(self, seconds: float) -> None:
        self._set(kind="slow", seconds=seconds)

    def error(self, status: int = 503, retry_after: str | None = None) -> None:
        self._set(kind="error", status=status, retry_after=retry_after)

    def reset(self) -> None:
        self._set(kind="reset")

    def up(self) -> None:
        """Listen (again) on the same port."""
        if self._server is not None:
            return
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.fault = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: new connections are refused, slow requests in flight are dropped."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        self.up()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.down()
