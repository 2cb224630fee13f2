"""Test helpers: read a whole stream back, run a relay until the outbox is drained."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import nats
import psycopg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from pavedroad.events import EventsConfig, Relay


async def read_stream(nats_url: str, config: EventsConfig, expect: int, wait_s: float = 20.0) -> list[dict[str, Any]]:
    """Every event in the test's stream, in stream order (waits until ``expect`` have arrived)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            config.subjects,
            stream=config.stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
        )
        out: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + wait_s
        while len(out) < expect and asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(nats.errors.TimeoutError):
                for m in await sub.fetch(1000, timeout=0.5):
                    out.append({**json.loads(m.data), "_seq": m.metadata.sequence.stream, "_subject": m.subject})
        return out
    finally:
        await nc.close()


async def drain(relay: Relay, owner_url: str) -> int:
    """Step the relay until no undelivered row is left; return events published."""
    total = 0
    for _ in range(1000):
        total += await relay.step()
        with psycopg.connect(owner_url) as conn:
            left = conn.execute("select count(*) from event_outbox where delivered_at is null").fetchone()
        if left == (0,):
            return total
    raise AssertionError("relay did not drain the outbox")
