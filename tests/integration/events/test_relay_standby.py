"""A relay waiting for a shard another relay owns says so once, and once more when it takes over: not
a line per poll (every 0.5 s by default)."""

from __future__ import annotations

import psycopg
import pytest
import structlog

from pavedroad.events import EventsConfig, Relay
from pavedroad.events.relay import SHARD_LOCK_CLASS
from pavedroad.testing import FakeClock, TestDatabase

POLLS = 40


async def test_standby_is_logged_once_per_state_change(
    database: TestDatabase, nats_url: str, events_config: EventsConfig
) -> None:
    clock = FakeClock()
    owner = await psycopg.AsyncConnection.connect(database.owner_url, autocommit=True)
    await owner.execute("select pg_advisory_lock(%s, %s)", (SHARD_LOCK_CLASS, 0))
    polls = 0

    async def poll_wait(seconds: float) -> None:
        """The clock moves a poll interval; after POLLS polls the owning relay goes away."""
        nonlocal polls
        polls += 1
        await clock.asleep(seconds)
        if polls == POLLS:
            await owner.execute("select pg_advisory_unlock(%s, %s)", (SHARD_LOCK_CLASS, 0))

    relay = Relay(database.owner_url, nats_url, events_config, standby_sleep=poll_wait)
    try:
        with structlog.testing.capture_logs() as logs:
            await relay.connect()
    finally:
        await relay.close()
        await owner.close()
    standby = [e for e in logs if e["event"] == "another relay owns this shard; standing by"]
    took_over = [e for e in logs if e["event"] == "the shard is free; this relay took it over"]
    assert polls == POLLS
    assert clock.monotonic() - 1_000.0 == pytest.approx(POLLS * events_config.relay_poll_s)
    assert len(standby) == 1
    assert len(took_over) == 1
    assert standby[0]["shard"] == 0
