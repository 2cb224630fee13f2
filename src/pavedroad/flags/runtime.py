"""The per-process flag runtime: a compiled snapshot, kept fresh from Postgres, backed by a file on disk.

Lifecycle, built for pre-fork servers (gunicorn, uvicorn workers):

* Nothing starts at import or construction. The first evaluation in a process calls ``start()``: load
  the store once (short connect timeout), else the last-known-good snapshot file, then start one
  daemon thread that ``LISTEN``s on ``pavedroad_flags`` and reloads on every notification.
* ``os.register_at_fork`` resets every runtime in the child: the inherited snapshot stays (it is data),
  the parent's thread and socket are dropped without being touched, and the child starts its own
  watcher lazily on its first evaluation.
* Every successful load writes the snapshot atomically to ``snapshot_path`` (under the data
  directory). When the store is down the process keeps evaluating the snapshot it has, and a process
  that starts during an outage evaluates the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import structlog

from pavedroad.flags.compiled_flag import Snapshot, compile_snapshot
from pavedroad.flags.model import FlagSet
from pavedroad.flags.store import CHANNEL, StoreState, load_state, run

__all__ = ["FlagRuntime"]

_log = structlog.get_logger("pavedroad.flags")
_RUNTIMES: weakref.WeakSet[FlagRuntime] = weakref.WeakSet()
_EMPTY = FlagSet(flags={})


class FlagRuntime:
    """Holds the current ``Snapshot``; with a ``database_url`` it follows the store (see module doc)."""

    def __init__(
        self,
        database_url: str | None = None,
        snapshot_path: Path | None = None,
        *,
        state: StoreState | None = None,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 2.0,
    ) -> None:
        self.database_url = database_url
        self.snapshot_path = snapshot_path
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.snapshot: Snapshot = compile_snapshot(_EMPTY, clock=clock)
        self.source = "empty"  # empty | store | file | static
        self.started = database_url is None and snapshot_path is None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.loads = 0
        self.listeners: list[Callable[[Snapshot, Snapshot], None]] = []  # (old, new) after each swap
        if state is not None:
            self.install(state, source="static")
        _RUNTIMES.add(self)

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load once (store, else last-known-good file) and start the watcher; idempotent per process."""
        with self._lock:
            if self.started:
                return
            if self.database_url is not None:
                try:
                    with psycopg.connect(self.database_url, connect_timeout=max(1, int(self.connect_timeout))) as c:
                        self._load(c)
                except Exception as exc:  # noqa: BLE001 - evaluation must go on: any load failure means last-known-good
                    _log.warning("flag store unavailable; using last-known-good", error=str(exc).strip()[:200])
                    self._load_file()
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._watch, name="pavedroad-flags", daemon=True)
                self._thread.start()
            else:
                self._load_file()
            self.started = True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the watcher (the snapshot stays usable)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self.started = self.database_url is None and self.snapshot_path is None

    def _after_fork_in_child(self) -> None:
        # The parent's thread does not exist here and its socket belongs to the parent: forget both.
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        if self.database_url is not None or self.snapshot_path is not None:
            self.started = False

    # -- loading --------------------------------------------------------------------------------------

    def install(self, state: StoreState, *, source: str) -> None:
        """Compile ``state`` and make it the snapshot every evaluation reads (one reference swap)."""
        old = self.snapshot
        self.snapshot = compile_snapshot(
            state.flag_set, version=state.version, overrides=state.overrides, clock=self.clock
        )
        self.source = source
        self.loads += 1
        for listener in list(self.listeners):
            try:
                listener(old, self.snapshot)
            except Exception as exc:  # noqa: BLE001 - a listener never breaks a reload
                _log.warning("flag change listener failed", error=str(exc))

    def _load(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            state: StoreState = run(conn, load_state())
        if self.source == "store" and state.version == self.snapshot.version:
            return
        self.install(state, source="store")
        self._write_file(state)

    def _load_file(self) -> None:
        if self.snapshot_path is None or not self.snapshot_path.exists():
            return
        try:
            state = StoreState.from_json(json.loads(self.snapshot_path.read_text()))
        except (OSError, ValueError, KeyError) as exc:
            _log.error("last-known-good flag snapshot unreadable", path=str(self.snapshot_path), error=str(exc))
            return
        self.install(state, source="file")

    def _write_file(self, state: StoreState) -> None:
        if self.snapshot_path is None:
            return
        try:
            self.snapshot_path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.snapshot_path.parent, prefix=".flags-", suffix=".json")
            with os.fdopen(fd, "w") as fh:
                json.dump(state.to_json(), fh)
            os.replace(tmp, self.snapshot_path)
        except OSError as exc:
            _log.warning("could not write the flag snapshot", path=str(self.snapshot_path), error=str(exc))

    def _watch(self) -> None:
        backoff = 0.1
        stop = self._stop
        while not stop.is_set():
            try:
                with psycopg.connect(self.database_url or "", autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._load(conn)  # after LISTEN, so no change between the two is missed
                    backoff = 0.1
                    while not stop.is_set():
                        if any(True for _ in conn.notifies(timeout=0.25, stop_after=1)):
                            self._load(conn)
            except Exception as exc:  # noqa: BLE001 - the watcher outlives any one bad load or lost connection
                if stop.is_set():
                    return
                _log.warning("flag watcher lost the store; retrying", error=str(exc).strip()[:200])
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)


def _reset_all_in_child() -> None:
    for runtime in list(_RUNTIMES):
        runtime._after_fork_in_child()


os.register_at_fork(after_in_child=_reset_all_in_child)
