"""``EffectReceiver``: a loopback HTTP server that applies each ``Idempotency-Key`` once, like a payment API.

Each POST carries a JSON object whose ``key_field`` (default ``"effect"``) names the effect. A request
with a key seen before is answered with the first response and not applied again; a request without a
key is applied every time. ``applied`` counts applications per effect name, so a test proves
exactly-once delivery: every expected effect applied once (none lost) and none applied twice (a sender
that changed its key on retry would show up here).

    >>> with EffectReceiver() as receiver:
    ...     receiver.url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["EffectReceiver"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: EffectReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the counters."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            effect = str(json.loads(raw or b"{}").get(self.server.receiver.key_field, ""))
        except (ValueError, AttributeError):
            effect = None
        if len(raw) < length or effect is None:
            # A request cut off by a killed sender (or malformed) is refused and its key left unused, as a
            # real idempotent API does: recording the key would make the sender's retry a silent no-op.
            with self.server.receiver._lock:
                self.server.receiver.refused += 1
            self.send_error(400, "incomplete or malformed request body")
            return
        self.server.receiver._receive(self.headers.get("Idempotency-Key"), effect)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class EffectReceiver:
    """An idempotent receiving endpoint; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", *, key_field: str = "effect") -> None:
        self.key_field = key_field
        self._lock = threading.Lock()
        self._keys: set[str] = set()
        self.applied: Counter[str] = Counter()
        self.arrivals: dict[str, float] = {}  # effect -> time.monotonic() of its first application
        self.deliveries = 0
        self.refused = 0  # requests cut off or malformed: answered 400, their key left unused
        self._server = _Server((host, 0), _Handler)
        self._server.receiver = self
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _receive(self, key: str | None, effect: str) -> None:
        with self._lock:
            self.deliveries += 1
            if key is not None:
                if key in self._keys:
                    return
                self._keys.add(key)
            self.applied[effect] += 1
            self.arrivals.setdefault(effect, time.monotonic())

    def snapshot(self) -> tuple[Counter[str], int]:
        """(applications per effect, requests received)."""
        with self._lock:
            return Counter(self.applied), self.deliveries

    def __enter__(self) -> EffectReceiver:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
