"""The kill tests' receiving server must not let a request cut off by a killed sender use up its key."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx

from pavedroad.testing.receiver import EffectReceiver


def _cut_off_request(url: str, key: str) -> None:
    """Headers promise a body that never fully arrives: the sender was SIGKILLed mid-request."""
    parts = urlsplit(url)
    body = json.dumps({"effect": "wf-1/0"}).encode()
    head = (
        f"POST /effects HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(head + body[: len(body) // 2])


def test_a_cut_off_request_leaves_its_key_unused_so_the_retry_applies() -> None:
    with EffectReceiver() as receiver:
        _cut_off_request(receiver.url, "wf-1-0")
        deadline = time.monotonic() + 10
        while not receiver.refused and time.monotonic() < deadline:  # the server has answered it
            time.sleep(0.01)
        assert receiver.refused == 1
        retry = httpx.post(f"{receiver.url}/effects", json={"effect": "wf-1/0"}, headers={"Idempotency-Key": "wf-1-0"})
        assert retry.status_code == 200
        applied, _ = receiver.snapshot()
    assert applied == {"wf-1/0": 1}
