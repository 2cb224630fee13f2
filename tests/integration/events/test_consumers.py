"""Durable consumers: idempotent via the inbox, retried with back-off, dead-lettered after the last attempt."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import nats
import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import (
    Consumer,
    Event,
    EventsConfig,
    PoisonMessage,
    list_dead_letters,
    replay_dead_letters,
)
from pavedroad.events.streams import ensure_streams
from pavedroad.testing import TestDatabase
from tests.integration.events.conftest import World


async def publish(nats_url: str, config: EventsConfig, *items: tuple[bytes, str, str]) -> None:
    """Publish raw (data, subject, msg id) triples to the test stream."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, config)
        for data, subject, msg_id in items:
            await js.publish(subject, data, headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


def envelope(world: World, n: int) -> Event:
    return Event(type="pinged", tenant_id=world.tenant, aggregate_type="thing", aggregate_id=str(n), payload={"n": n})


async def run_until(consumer: Consumer, done: Callable[[], bool], rounds: int = 200) -> None:
    for _ in range(rounds):
        if done():
            return
        await consumer.step(wait_s=0.2)
    raise AssertionError(f"condition not reached; stats={consumer.stats}")


async def test_redelivered_event_is_handled_once(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """The same event delivered twice runs the handler once; its write commits with the inbox row."""
    calls: list[int] = []

    async def handler(tx: psycopg.AsyncConnection, event: Event) -> None:
        calls.append(event.payload["n"])
        await tx.execute(
            "insert into departments (tenant_id, name) values (%s, %s)", (event.tenant_id, f"d{event.payload['n']}")
        )

    event = envelope(world, 1)
    subject = event.subject(events_config.subject_prefix)
    await publish(nats_url, events_config, (event.to_json(), subject, "a"), (event.to_json(), subject, "b"))
    consumer = Consumer("idem", handler, app_pool, nats_url, events_config)
    await consumer.connect()
    try:
        await run_until(consumer, lambda: consumer.stats.handled + consumer.stats.duplicates == 2)
    finally:
        await consumer.close()
    assert calls == [1]
    assert consumer.stats.duplicates == 1
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from departments where name = 'd1'").fetchone() == (1,)
        assert conn.execute("select count(*) from pavedroad_meta.event_inbox where consumer = 'idem'").fetchone() == (
            1,
        )


async def test_failure_is_retried_with_backoff_then_succeeds(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """A handler that fails once is redelivered (nak with delay) and its rolled-back write is not kept."""
    attempts: list[int] = []

    async def flaky(tx: psycopg.AsyncConnection, event: Event) -> None:
        attempts.append(1)
        await tx.execute("insert into departments (tenant_id, name) values (%s, 'flaky')", (event.tenant_id,))
        if len(attempts) == 1:
            raise RuntimeError("transient")

    event = envelope(world, 2)
    await publish(nats_url, events_config, (event.to_json(), event.subject(events_config.subject_prefix), "x"))
    consumer = Consumer("flaky", flaky, app_pool, nats_url, events_config)
    await consumer.connect()
    try:
        await run_until(consumer, lambda: consumer.stats.handled == 1)
    finally:
        await consumer.close()
    assert len(attempts) == 2
    assert consumer.stats.retried == 1
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from departments where name = 'flaky'").fetchone() == (1,)


async def test_poison_lands_in_dlq_after_max_attempts_and_replays(
    world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """After max_deliver failed attempts the event is dead-lettered; a replay reaches only that consumer."""
    broken = True
    seen: list[str] = []

    async def handler(tx: psycopg.AsyncConnection, event: Event) -> None:
        if broken:
            raise ValueError("cannot handle n=3")
        seen.append(str(event.id))

    other_calls: list[str] = []

    async def other(tx: psycopg.AsyncConnection, event: Event) -> None:
        other_calls.append(str(event.id))

    event = envelope(world, 3)
    await publish(nats_url, events_config, (event.to_json(), event.subject(events_config.subject_prefix), "p"))
    consumer = Consumer("fragile", handler, app_pool, nats_url, events_config)
    bystander = Consumer("bystander", other, app_pool, nats_url, events_config)
    await consumer.connect()
    await bystander.connect()
    try:
        await run_until(consumer, lambda: consumer.stats.dead_lettered == 1)
        await run_until(bystander, lambda: bystander.stats.handled == 1)
        js = consumer._js
        assert js is not None
        [letter] = await list_dead_letters(js, events_config)
        assert letter.consumer == "fragile"
        assert letter.attempts == events_config.max_deliver
        assert letter.event_id == str(event.id)
        assert "cannot handle" in letter.error
        broken = False
        replayed = await replay_dead_letters(js, events_config, consumer="fragile")
        assert [d.seq for d in replayed] == [letter.seq]
        await run_until(consumer, lambda: consumer.stats.handled == 1)
        await asyncio.sleep(0.2)
        await bystander.step(wait_s=0.5)
        assert await list_dead_letters(js, events_config) == []
    finally:
        await consumer.close()
        await bystander.close()
    assert seen == [str(event.id)]
    assert other_calls == [str(event.id)]  # the replay was not handled again by the bystander


async def test_unparseable_message_and_declared_poison_are_dead_lettered_at_once(
    world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """A message that is not an envelope, or a PoisonMessage from the handler, skips the retries."""

    async def handler(tx: psycopg.AsyncConnection, event: Event) -> None:
        raise PoisonMessage("this event can never be handled")

    event = envelope(world, 4)
    subject = event.subject(events_config.subject_prefix)
    await publish(nats_url, events_config, (b"not json", subject, "bad"), (event.to_json(), subject, "poison"))
    consumer = Consumer("strict", handler, app_pool, nats_url, events_config)
    await consumer.connect()
    try:
        await run_until(consumer, lambda: consumer.stats.dead_lettered == 2)
        assert consumer._js is not None
        letters = await list_dead_letters(consumer._js, events_config, consumer="strict")
    finally:
        await consumer.close()
    assert [d.attempts for d in letters] == [1, 1]
    assert consumer.stats.retried == 0
