"""`pavedroad serve` says where it listens (uvicorn's own line is silenced with its info logs), and the
address it prints is the one that answers."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from pavedroad.db import free_port
from pavedroad.testing import TestDatabase

PAVEDROAD = str(Path(sys.executable).parent / "pavedroad")


def test_serve_prints_where_it_listens(database: TestDatabase, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAVEDROAD_")}
    env |= {"PAVEDROAD_DATABASE_URL": database.owner_url, "PAVEDROAD_DATA_DIR": str(tmp_path),
            "PAVEDROAD_HTTP_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}  # fmt: skip
    proc = subprocess.Popen(
        [PAVEDROAD, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: list(map(lines.put, proc.stdout or ())), daemon=True)
    reader.start()
    said = ""
    try:
        deadline = time.monotonic() + 60
        while "serving at" not in said and time.monotonic() < deadline and proc.poll() is None:
            try:
                said = lines.get(timeout=1)
            except queue.Empty:
                continue
        assert f"serving at http://127.0.0.1:{port}" in said
        assert f"http://127.0.0.1:{port}/docs" in said
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        reader.join(timeout=10)
        proc.stdout.close()
    assert code in {0, 130}
