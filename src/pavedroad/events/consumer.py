"""Durable pull consumers with idempotent handling, back-off, and a dead-letter stream.

Guarantees, per message: the handler runs inside ``tenancy.atransaction`` for the event's tenant,
together with an insert into ``pavedroad_meta.event_inbox`` keyed by (consumer, event id); the message
is acknowledged only after that transaction commits. A redelivered event whose inbox row exists is
acknowledged without running the handler again, so the effect is exactly once. A failing handler is
retried with ``nak(delay=backoff)`` (never a bare ``nak()``, which redelivers at once and burns the
attempts in milliseconds); on the last allowed attempt, or at once for a message that cannot be parsed
or a ``PoisonMessage``, the message is copied to the dead-letter stream (JetStream has none built in)
with the error and attempt count in its headers, then terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import InvalidInput
from pavedroad.events.config import EventsConfig
from pavedroad.events.envelope import Event
from pavedroad.events.heartbeat import areport_component
from pavedroad.events.metrics import EventMetrics, event_metrics
from pavedroad.events.nats_connect import connect_nats
from pavedroad.events.ports import EventHandler
from pavedroad.events.streams import ensure_streams
from pavedroad.tenancy import Principal, Role, atransaction

__all__ = ["REPLAY_HEADER", "Consumer", "ConsumerStats", "PoisonMessage"]

_log = structlog.get_logger("pavedroad.events.consumer")

REPLAY_HEADER = "Pavedroad-Replay-For"
INBOX_SQL = (
    "insert into pavedroad_meta.event_inbox (consumer, event_id, tenant_id) values (%s, %s, %s) on conflict do nothing"
)


class PoisonMessage(InvalidInput):
    """Raised by a handler for an event it can never process: dead-lettered without retries."""

    default_code = "EV422"


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    retried: int = 0
    dead_lettered: int = 0
    pending: int = 0


@dataclass
class Consumer:
    """A named durable consumer of the events stream, calling ``handler`` once per event."""

    name: str
    handler: EventHandler | Callable[..., Awaitable[None]]
    pool: AsyncConnectionPool
    nats_url: str
    config: EventsConfig = field(default_factory=EventsConfig)
    filter_subject: str | None = None
    batch: int = 100
    metrics: EventMetrics = field(default_factory=event_metrics)
    stats: ConsumerStats = field(default_factory=ConsumerStats)
    _nc: Client | None = field(default=None, init=False)
    _js: JetStreamContext | None = field(default=None, init=False)
    _sub: JetStreamContext.PullSubscription | None = field(default=None, init=False)

    async def connect(self) -> None:
        """Connect, ensure the streams, and create or update the durable consumer."""
        self._nc = await connect_nats(self.nats_url, name=f"consumer-{self.name}")
        self._js = self._nc.jetstream()
        await ensure_streams(self._js, self.config)
        wanted = ConsumerConfig(
            durable_name=self.name,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.config.ack_wait_s,
            # One more than ours, so the server bound never pre-empts our dead-lettering.
            max_deliver=self.config.max_deliver + 1,
            max_ack_pending=max(1000, self.batch * 4),
            filter_subject=self.filter_subject or self.config.subjects,
        )
        try:
            await self._js.add_consumer(self.config.stream, wanted)
        except nats.js.errors.BadRequestError:
            await self._js.delete_consumer(self.config.stream, self.name)
            await self._js.add_consumer(self.config.stream, wanted)
        self._sub = await self._js.pull_subscribe_bind(self.name, stream=self.config.stream)

    async def close(self) -> None:
        nc, self._nc, self._js, self._sub = self._nc, None, None, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()

    async def step(self, wait_s: float = 1.0) -> int:
        """Fetch and handle one batch; return messages handled (0 when none arrived in ``wait_s``)."""
        assert self._sub is not None, "call connect() first"
        try:
            msgs = await self._sub.fetch(self.batch, timeout=wait_s)
        except (TimeoutError, nats.errors.TimeoutError):
            return 0
        for msg in msgs:
            await self._handle(msg)
        if msgs:
            self.stats.pending = int(msgs[-1].metadata.num_pending or 0)
            self.metrics.consumer_lag.labels(self.name).set(self.stats.pending)
        return len(msgs)

    async def run(self) -> None:
        """Consume until cancelled, reporting a heartbeat every few seconds."""
        await self.connect()
        last = 0.0
        try:
            while True:
                await self.step()
                now = asyncio.get_running_loop().time()
                if now - last >= 2.0:
                    async with self.pool.connection() as conn:
                        await areport_component(
                            conn,
                            f"consumer-{self.name}",
                            "consumer",
                            backlog=self.stats.pending,
                            dead_letters=self.stats.dead_lettered,
                            details={"handled": self.stats.handled, "retried": self.stats.retried},
                        )
                    last = now
        finally:
            await self.close()

    async def _handle(self, msg: Msg) -> None:
        target = (msg.headers or {}).get(REPLAY_HEADER)
        if target is not None and target != self.name:
            await msg.ack()  # a dead letter replayed for another consumer
            return
        attempt = int(msg.metadata.num_delivered or 1)
        try:
            event = Event.from_json(msg.data)
        except InvalidInput as exc:
            await self._dead_letter(msg, exc, attempt)
            return
        try:
            async with atransaction(self.pool, Principal(event.tenant_id, None, Role.ADMIN)) as tx:
                cur = await tx.execute(INBOX_SQL, (self.name, event.id, event.tenant_id))
                fresh = cur.rowcount == 1
                if fresh:
                    await self.handler(tx, event)
        except PoisonMessage as exc:
            await self._dead_letter(msg, exc, attempt)
            return
        except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            if attempt >= self.config.max_deliver:
                await self._dead_letter(msg, exc, attempt)
            else:
                self.stats.retried += 1
                self.metrics.consumer_handled_total.labels(self.name, "retried").inc()
                await msg.nak(delay=self.config.backoff(attempt))
            return
        await msg.ack()
        outcome = "handled" if fresh else "duplicate"
        if fresh:
            self.stats.handled += 1
        else:
            self.stats.duplicates += 1
        self.metrics.consumer_handled_total.labels(self.name, outcome).inc()

    async def _dead_letter(self, msg: Msg, exc: BaseException, attempt: int) -> None:
        assert self._js is not None
        seq = msg.metadata.sequence.stream
        error = (str(exc) or type(exc).__name__)[:1000].replace("\r", " ").replace("\n", " ")
        headers = {
            "Nats-Msg-Id": f"{self.name}:{seq}",
            "Pavedroad-Consumer": self.name,
            "Pavedroad-Original-Subject": msg.subject,
            "Pavedroad-Stream-Seq": str(seq),
            "Pavedroad-Attempts": str(attempt),
            "Pavedroad-Error": error,
        }
        await self._js.publish(self.config.dlq_subject(self.name), msg.data, headers=headers)
        await msg.term()
        self.stats.dead_lettered += 1
        self.metrics.dead_letters_total.labels(self.name).inc()
        self.metrics.consumer_handled_total.labels(self.name, "dead_lettered").inc()
        _log.warning("message dead-lettered", consumer=self.name, stream_seq=seq, attempts=attempt, error=error)
