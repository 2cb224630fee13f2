"""Changes reach running processes through LISTEN/NOTIFY; a store outage falls back to last-known-good;
processes forked after loading evaluate correctly and follow changes."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pavedroad.flags import Actor, FlagClient, FlagRuntime
from pavedroad.flags.store import get_flag, put_flag
from pavedroad.testing import TestDatabase

from .conftest import write

DEADLINE_S = 20.0

WATCHER = """
import sys, time
from pavedroad.flags import FlagClient, FlagRuntime
client = FlagClient(FlagRuntime(sys.argv[1], None))
print("start", client.value("banner", "?"), flush=True)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    if client.value("banner", "?") == "bye":
        print("saw bye", flush=True)
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
"""


def _set_banner(url: str, variant: str) -> None:
    flag = write(url, get_flag("banner"))
    write(
        url, put_flag("banner", {**flag, "defaultVariant": variant}, actor=Actor.platform("test"), reason="propagation")
    )


def test_a_change_reaches_a_watcher_in_another_process(store: TestDatabase) -> None:
    """A change committed on one connection is seen by another process's watcher before the deadline."""
    with subprocess.Popen(
        [sys.executable, "-c", WATCHER, store.app_url, str(DEADLINE_S)], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "start hello"
            _set_banner(store.owner_url, "b")
            assert proc.wait(timeout=DEADLINE_S + 10) == 0
            assert proc.stdout.read().strip() == "saw bye"
        finally:
            proc.kill()


def test_store_outage_falls_back_to_the_last_known_good_snapshot(store: TestDatabase, tmp_path: Path) -> None:
    """A process that starts while the store is unreachable evaluates the snapshot a previous one wrote."""
    snapshot = tmp_path / "flags" / "snapshot.json"
    first = FlagRuntime(store.app_url, snapshot)
    assert FlagClient(first).enabled("new-ui", {"tenant": "acme"}) is True
    first.stop()
    assert json.loads(snapshot.read_text())["version"] == first.snapshot.version

    down = "postgresql://pavedroad_app@127.0.0.1:1/nowhere"
    second = FlagRuntime(down, snapshot, connect_timeout=1)
    try:
        client = FlagClient(second)
        assert client.enabled("new-ui", {"tenant": "acme"}) is True
        assert client.value("banner", "?") == "hello"
        assert second.source == "file"
    finally:
        second.stop()


def test_a_running_process_keeps_evaluating_when_the_store_goes_away(store: TestDatabase, tmp_path: Path) -> None:
    runtime = FlagRuntime(store.app_url, tmp_path / "s.json")
    client = FlagClient(runtime)
    try:
        assert client.value("banner", "?") == "hello"
        runtime.database_url = "postgresql://pavedroad_app@127.0.0.1:1/nowhere"  # the next reconnect fails
        with __import__("psycopg").connect(store.owner_url, autocommit=True) as conn:
            conn.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where usename = 'pavedroad_app' and datname = current_database()"
            )
        for _ in range(20):
            assert client.value("banner", "?") == "hello"
            time.sleep(0.01)
    finally:
        runtime.stop()


def _child(client: FlagClient, out: int) -> None:
    try:
        first = client.value("banner", "?")
        acme = client.enabled("new-ui", {"tenant": "acme"})
        os.write(out, json.dumps([first, acme]).encode() + b"\n")  # evaluated, so its watcher has started
        deadline = time.monotonic() + DEADLINE_S
        seen = "timeout"
        while time.monotonic() < deadline:
            if client.value("banner", "?") == "bye":
                seen = "bye"
                break
            time.sleep(0.02)
        os.write(out, json.dumps(seen).encode() + b"\n")
    finally:
        os._exit(0)


def _report(fd: int, timeout: float) -> Any:
    """The next JSON line a worker wrote on ``fd``, waiting at most ``timeout`` seconds for it."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, "a worker did not report in time"
        byte = os.read(fd, 1)  # one byte at a time: the next report stays in the pipe
        assert byte, "a worker exited without reporting"
        line += byte
    return json.loads(line)


def test_forked_workers_evaluate_and_follow_changes(store: TestDatabase) -> None:
    """Load (and start the watcher) in the parent, fork three workers: each evaluates correctly at once
    and picks up a later change through its own watcher (the parent's thread and socket are not shared).

    The change is made only once every worker has reported its first evaluation, and the parent waits for
    its own watcher's reload: under load a fixed pause was not enough for either (a worker that started
    late saw the change in its first evaluation; the parent checked before its watcher had reloaded)."""
    runtime = FlagRuntime(store.app_url, None)
    client = FlagClient(runtime)
    assert client.value("banner", "?") == "hello"
    pipes, pids = [], []
    for _ in range(3):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            _child(client, w)
        os.close(w)
        pipes.append(r)
        pids.append(pid)
    try:
        assert [_report(r, DEADLINE_S + 10) for r in pipes] == [["hello", True]] * 3
        reloaded = threading.Event()
        runtime.listeners.append(lambda _old, _new: reloaded.set())
        _set_banner(store.owner_url, "b")
        assert [_report(r, DEADLINE_S + 10) for r in pipes] == ["bye"] * 3
        assert reloaded.wait(DEADLINE_S), "the parent's watcher never reloaded"
        assert client.value("banner", "?") == "bye"  # the parent's watcher still works too
    finally:
        for pid in pids:
            os.waitpid(pid, 0)
        for r in pipes:
            os.close(r)
        runtime.stop()


def test_openfeature_provider_emits_configuration_changed(store: TestDatabase) -> None:
    """A store change reaches OpenFeature handlers as PROVIDER_CONFIGURATION_CHANGED naming the flag."""
    from openfeature import api
    from openfeature.event import EventDetails, ProviderEvent

    from pavedroad.flags import PavedroadProvider

    runtime = FlagRuntime(store.app_url, None)
    seen: list[list[str]] = []
    got = threading.Event()

    def on_change(details: EventDetails) -> None:
        seen.append(list(details.flags_changed or []))
        got.set()

    try:
        api.set_provider(PavedroadProvider(FlagClient(runtime)), "pr-events")
        of = api.get_client("pr-events")
        assert of.get_string_value("banner", "?") == "hello"
        of.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, on_change)
        _set_banner(store.owner_url, "b")
        assert got.wait(DEADLINE_S)
        assert ["banner"] in seen
        assert of.get_string_value("banner", "?") == "bye"
    finally:
        api.shutdown()
        runtime.stop()
