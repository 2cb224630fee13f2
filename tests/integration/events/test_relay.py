"""The relay: committed events reach JetStream once, in order per aggregate, late commits included."""

from __future__ import annotations

import asyncio
import contextlib
import random

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import Event, EventsConfig, Relay, aappend
from pavedroad.tenancy import Principal, Role, aset_tenant, atransaction
from pavedroad.testing import TestDatabase
from tests.integration.events.conftest import World
from tests.integration.events.streams import drain, read_stream


def _event(tenant: str, aggregate: int, n: int) -> Event:
    return Event(
        type="counted", tenant_id=tenant, aggregate_type="counter", aggregate_id=str(aggregate), payload={"n": n}
    )


async def test_order_per_aggregate_under_concurrent_writers(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """Eight writers append to four aggregates at once; each aggregate's events arrive in commit order.

    The expected order is recorded under a per-aggregate lock taken before COMMIT and released once the
    commit is recorded, so one aggregate's commits are observed one at a time. Recording merely after the
    commit returned is not commit order: a writer whose COMMIT reply is late (its backend descheduled
    after releasing the aggregate's lock) would be overtaken by the next writer of that aggregate."""
    principal = Principal(world.tenant, None, Role.ADMIN)
    committed: dict[str, list[int]] = {str(a): [] for a in range(4)}
    observing = {aggregate: asyncio.Lock() for aggregate in committed}
    counter = iter(range(10_000))

    async def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(25):
            aggregate = rng.randrange(4)
            async with contextlib.AsyncExitStack() as recording:
                async with atransaction(app_pool, principal) as tx:
                    n = next(counter)
                    await aappend(tx, _event(world.tenant, aggregate, n))
                    await asyncio.sleep(rng.random() * 0.002)  # hold the transaction open a little
                    await recording.enter_async_context(observing[str(aggregate)])  # held across COMMIT
                committed[str(aggregate)].append(n)

    relay = Relay(database.owner_url, nats_url, events_config)
    await relay.connect()
    try:
        writing = asyncio.Event()
        writing.set()
        pump = asyncio.create_task(_pump(relay, writing))
        await asyncio.gather(*(writer(s) for s in range(8)))
        writing.clear()
        await pump  # ends between rounds: never a cancelled query on the relay's connection
        await drain(relay, database.owner_url)
    finally:
        await relay.close()
    events = await read_stream(nats_url, events_config, expect=200)
    assert len(events) == 200
    assert len({e["id"] for e in events}) == 200
    for aggregate, order in committed.items():
        seen = [e["payload"]["n"] for e in events if e["aggregate_id"] == aggregate]
        assert seen == order


async def _pump(relay: Relay, running: asyncio.Event) -> None:
    """Relay rounds while the writers write, so the relay sees commits interleaved."""
    while running.is_set():
        await relay.step()
        await asyncio.sleep(0.001)


async def test_late_committing_row_is_not_skipped(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """A transaction that drew an earlier seq but commits after later ones is still published."""
    principal = Principal(world.tenant, None, Role.ADMIN)
    relay = Relay(database.owner_url, nats_url, events_config)
    await relay.connect()
    try:
        async with app_pool.connection() as slow, slow.transaction():
            await aset_tenant(slow, principal)
            await aappend(slow, _event(world.tenant, 100, -1))  # lowest seq, still uncommitted
            for n in range(5):
                async with atransaction(app_pool, principal) as tx:
                    await aappend(tx, _event(world.tenant, n, n))
            assert await relay.step() == 5  # the later rows go out first
            # the slow transaction commits here
        assert await relay.step() == 1
    finally:
        await relay.close()
    events = await read_stream(nats_url, events_config, expect=6)
    assert sorted(e["payload"]["n"] for e in events) == [-1, 0, 1, 2, 3, 4]
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from event_outbox where delivered_at is null").fetchone() == (0,)


async def test_republishing_is_deduplicated_by_event_id(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """If the relay dies after publishing but before marking delivered, the re-send is not a duplicate."""
    principal = Principal(world.tenant, None, Role.ADMIN)
    async with atransaction(app_pool, principal) as tx:
        for n in range(10):
            await aappend(tx, _event(world.tenant, n, n))
    relay = Relay(database.owner_url, nats_url, events_config)
    await relay.connect()
    try:
        assert await relay.step() == 10
        with psycopg.connect(database.owner_url) as conn:  # forget delivery, as if the mark was lost
            conn.execute("update event_outbox set delivered_at = null")
        assert await relay.step() == 10
    finally:
        await relay.close()
    events = await read_stream(nats_url, events_config, expect=10, wait_s=3)
    assert len(events) == 10


async def test_subjects_name_tenant_aggregate_and_type(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """Events are published on <prefix>.<tenant>.<aggregate>.<type> with the envelope as JSON."""
    principal = Principal(world.tenant, None, Role.ADMIN)
    async with atransaction(app_pool, principal) as tx:
        sent = _event(world.tenant, 7, 1)
        await aappend(tx, sent)
    relay = Relay(database.owner_url, nats_url, events_config)
    await relay.connect()
    try:
        await drain(relay, database.owner_url)
    finally:
        await relay.close()
    [got] = await read_stream(nats_url, events_config, expect=1)
    assert got["_subject"] == f"{events_config.subject_prefix}.{world.tenant}.counter.counted"
    assert Event.model_validate({k: v for k, v in got.items() if not k.startswith("_")}) == sent
