"""The relay: moves committed outbox rows to JetStream, in order per aggregate, without loss.

How rows are claimed (and why nothing is skipped): the relay does not page the outbox by id. Paging by
``seq > last_seen`` skips a row whose transaction drew a lower ``seq`` but committed after a higher one
became visible. Instead every row carries ``delivered_at``; each round reads *all* undelivered rows in
``seq`` order (a partial index holds exactly those), publishes them, and sets ``delivered_at`` only for
the prefix JetStream acknowledged. A late-committing row is simply undelivered until a later round sees
it. The cost is one UPDATE per row (batched), which the partial index keeps cheap.

Order per aggregate: ``outbox.append`` draws ``seq`` under a per-aggregate transaction lock, so seq
order is commit order per aggregate. Rows are sharded by a hash of the aggregate; each shard is owned by
exactly one relay at a time (a session advisory lock, released when the process dies), which publishes
its rows in seq order on one NATS connection. There is no SKIP LOCKED across relays, which would let two
relays publish one aggregate's events concurrently and reorder them. After a failed publish, the relay
retries from the first unacknowledged row; JetStream's duplicate window (``Nats-Msg-Id`` = event id)
absorbs re-sends of rows that did reach the stream.

Wake-ups: LISTEN on ``pavedroad_outbox`` (sent once per inserting statement), with polling as the
fallback, because NOTIFY is only a hint. The relay runs as ``pavedroad_relay`` (``SET ROLE``): it reads
across tenants through policies scoped to that role, never through BYPASSRLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from pavedroad.errors import ConfigurationError
from pavedroad.events.config import EventsConfig
from pavedroad.events.envelope import subject_for
from pavedroad.events.heartbeat import areport_component
from pavedroad.events.metrics import EventMetrics, event_metrics
from pavedroad.events.nats_connect import connect_nats
from pavedroad.events.partitions import RELAY_ROLE, maintain
from pavedroad.events.streams import ensure_streams

__all__ = ["CLAIM_SQL", "Relay", "RelayStats", "outbox_backlog"]

_log = structlog.get_logger("pavedroad.events.relay")

SHARD_LOCK_CLASS = 3711
CLAIM_SQL = (
    "select seq, tenant_id, aggregate_type, event_type, event_id::text,"
    " json_build_object('id', event_id, 'type', event_type, 'schema_version', schema_version,"
    " 'tenant_id', tenant_id, 'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id,"
    " 'occurred_at', occurred_at, 'payload', payload, 'classification', classification)::text"
    " from event_outbox where delivered_at is null and mod(aggregate_hash::bigint + 2147483648, %s) = %s"
    " order by seq limit %s"
)
MARK_SQL = "update event_outbox set delivered_at = now() where delivered_at is null and seq = any(%s)"
BACKLOG_SQL = (
    "select count(*), coalesce(extract(epoch from now() - min(created_at)), 0)::float8"
    " from event_outbox where delivered_at is null"
)


@dataclass
class RelayStats:
    published: int = 0
    rounds: int = 0
    failures: int = 0
    backlog: int = 0
    lag_seconds: float = 0.0


async def outbox_backlog(conn: psycopg.AsyncConnection) -> tuple[int, float]:
    """(undelivered rows, age in seconds of the oldest) — needs the relay role or a tenant scope."""
    row = await (await conn.execute(BACKLOG_SQL)).fetchone()
    assert row is not None
    return int(row[0]), float(row[1])


@dataclass
class Relay:
    """One relay for one shard. ``run()`` until cancelled; ``step()`` is one claim-publish-mark round."""

    owner_url: str
    nats_url: str
    config: EventsConfig = field(default_factory=EventsConfig)
    shard: int = 0
    metrics: EventMetrics = field(default_factory=event_metrics)
    on_published: Callable[[int], None] | None = None
    stats: RelayStats = field(default_factory=RelayStats)
    standby_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between tries for a taken shard
    incomplete: bool = field(default=False, init=False)
    _conn: psycopg.AsyncConnection | None = field(default=None, init=False)
    _nc: Client | None = field(default=None, init=False)
    _js: JetStreamContext | None = field(default=None, init=False)

    @property
    def name(self) -> str:
        return f"relay-{self.config.stream}-{self.shard}"

    async def connect(self) -> None:
        """Connect to Postgres as ``pavedroad_relay``, take this shard, connect to NATS, ensure streams."""
        if not 0 <= self.shard < self.config.relay_shards:
            raise ConfigurationError(f"shard {self.shard} is outside 0..{self.config.relay_shards - 1}")
        conn = await psycopg.AsyncConnection.connect(self.owner_url, autocommit=True, application_name=self.name)
        try:
            await conn.execute(f"set role {RELAY_ROLE}")
        except psycopg.errors.InsufficientPrivilege:
            await conn.close()
            raise ConfigurationError(
                f"the relay's database user may not SET ROLE {RELAY_ROLE}",
                hint=f"connect the relay as the owner, or GRANT {RELAY_ROLE} TO <relay user>",
            ) from None
        await conn.execute("set timezone to 'UTC'")
        self._conn = conn
        standing_by = False  # logged when the state changes, not at every try (one every relay_poll_s)
        while True:
            got = await (
                await conn.execute("select pg_try_advisory_lock(%s, %s)", (SHARD_LOCK_CLASS, self.shard))
            ).fetchone()
            if got and got[0]:
                break
            if not standing_by:
                _log.info("another relay owns this shard; standing by", shard=self.shard)
                standing_by = True
            await self.standby_sleep(self.config.relay_poll_s)
        if standing_by:
            _log.info("the shard is free; this relay took it over", shard=self.shard)
        self._nc = await connect_nats(self.nats_url, name=self.name)
        self._js = self._nc.jetstream(publish_async_max_pending=max(4000, self.config.relay_batch * 2))
        await ensure_streams(self._js, self.config)

    async def close(self) -> None:
        nc, conn = self._nc, self._conn
        self._nc = self._conn = self._js = None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def step(self) -> int:
        """Publish one batch of undelivered rows; return how many were acknowledged and marked."""
        assert self._conn is not None, "call connect() first"
        assert self._js is not None, "call connect() first"
        cur = await self._conn.execute(CLAIM_SQL, (self.config.relay_shards, self.shard, self.config.relay_batch))
        rows = await cur.fetchall()
        if not rows:
            return 0
        futures: list[asyncio.Future[Any]] = []
        prefix = self.config.subject_prefix
        try:
            for _seq, tenant, aggregate, etype, event_id, body in rows:
                futures.append(
                    await self._js.publish_async(
                        subject_for(prefix, tenant, aggregate, etype),
                        body.encode(),
                        headers={"Nats-Msg-Id": event_id},
                    )
                )
        except Exception as exc:  # noqa: BLE001 - a dead connection raises several nats-py types
            _log.warning("publish failed", error=str(exc) or type(exc).__name__)
        if futures:
            await asyncio.wait(futures, timeout=self.config.publish_timeout_s)
        acked = 0
        for fut in futures:
            if not fut.done() or fut.cancelled() or fut.exception() is not None:
                break
            acked += 1
        for fut in futures[acked:]:
            fut.cancel()
        if acked:
            await self._conn.execute(MARK_SQL, ([r[0] for r in rows[:acked]],))
            self.stats.published += acked
            self.metrics.published_total.inc(acked)
            if self.on_published is not None:
                self.on_published(acked)
        self.incomplete = acked < len(rows)
        if self.incomplete:
            self.stats.failures += 1
        return acked

    async def report(self) -> None:
        """Refresh the backlog figures, the metrics and this relay's heartbeat row."""
        assert self._conn is not None
        backlog, lag = await outbox_backlog(self._conn)
        self.stats.backlog, self.stats.lag_seconds = backlog, lag
        self.metrics.outbox_backlog.set(backlog)
        self.metrics.relay_lag_seconds.set(lag)
        await areport_component(
            self._conn,
            self.name,
            "relay",
            backlog=backlog,
            lag_seconds=lag,
            details={"published": self.stats.published, "shard": self.shard},
        )

    async def run(self) -> None:
        """Relay until cancelled: publish whole batches back to back, otherwise wait for NOTIFY or poll."""
        await self.connect()
        listen = await psycopg.AsyncConnection.connect(self.owner_url, autocommit=True)
        housekeeping: asyncio.Task[None] | None = None
        try:
            await listen.execute("listen pavedroad_outbox")
            housekeeping = asyncio.create_task(asyncio.to_thread(self._maintain_sync))
            last_report = last_maintain = time.monotonic()
            failures = 0
            while True:
                count = await self.step()
                failures = failures + 1 if self.incomplete else 0
                if failures:
                    await asyncio.sleep(min(0.1 * 2**failures, 2.0))
                now = time.monotonic()
                if now - last_report >= 1.0:
                    await self.report()
                    last_report = now
                if now - last_maintain >= 300 and housekeeping.done():
                    # in the background: housekeeping must never hold up delivery
                    housekeeping = asyncio.create_task(asyncio.to_thread(self._maintain_sync))
                    last_maintain = now
                self.stats.rounds += 1
                if count < self.config.relay_batch and failures == 0:
                    async for _ in listen.notifies(timeout=self.config.relay_poll_s, stop_after=1):
                        pass
        finally:
            if housekeeping is not None:
                housekeeping.cancel()
            with contextlib.suppress(Exception):
                await listen.close()
            await self.close()

    def _maintain_sync(self) -> None:
        try:
            with psycopg.connect(self.owner_url, autocommit=True) as conn:
                report = maintain(
                    conn,
                    now=datetime.now(UTC),
                    retention=timedelta(hours=self.config.outbox_retention_h),
                    ahead_days=self.config.partitions_ahead_days,
                )
            if report.created or report.dropped:
                _log.info("outbox partitions maintained", created=report.created, dropped=report.dropped)
        except psycopg.Error as exc:
            _log.warning("outbox maintenance skipped", error=str(exc).strip())
