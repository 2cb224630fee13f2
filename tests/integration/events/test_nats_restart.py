"""NATS restarted mid-stream: the relay reconnects and delivery resumes, with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import Event, EventsConfig, aappend, run_relay
from pavedroad.events.nats_server import EmbeddedNats
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import TestDatabase
from tests.integration.events.conftest import World
from tests.integration.events.streams import read_stream


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A NATS server of this test's own, which it may stop and start."""
    server = EmbeddedNats(tmp_path / "nats-home")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_delivery_resumes_after_nats_restart(
    database: TestDatabase,
    world: World,
    app_pool: AsyncConnectionPool,
    own_nats: EmbeddedNats,
    events_config: EventsConfig,
) -> None:
    """Writes go on while NATS is down; after it returns every event is in the stream exactly once."""
    principal = Principal(world.tenant, None, Role.ADMIN)
    relay = asyncio.create_task(run_relay(database.owner_url, own_nats.url, events_config))
    sent = 0

    async def write(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            async with atransaction(app_pool, principal) as tx:
                await aappend(
                    tx,
                    Event(
                        type="ticked",
                        tenant_id=world.tenant,
                        aggregate_type="clock",
                        aggregate_id=str(sent % 5),
                        payload={"n": sent},
                    ),
                )
            sent += 1
            await asyncio.sleep(0.002)

    try:
        await write(100)
        await asyncio.to_thread(own_nats.stop)
        await write(100)  # the relay cannot publish these yet
        await asyncio.to_thread(own_nats.restart)
        await write(100)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with psycopg.connect(database.owner_url) as conn:
                left = conn.execute("select count(*) from event_outbox where delivered_at is null").fetchone()
            if left == (0,):
                break
            await asyncio.sleep(0.1)
        assert left == (0,)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    events = await read_stream(own_nats.url, events_config, expect=300)
    assert len(events) == 300
    assert sorted(e["payload"]["n"] for e in events) == list(range(300))
    for aggregate in map(str, range(5)):
        ns = [e["payload"]["n"] for e in events if e["aggregate_id"] == aggregate]
        assert ns == sorted(ns)
