"""What `pavedroad events status` and `GET /v1/events/status` report: outbox backlog, relay lag,
consumer lag per consumer, dead letters.

``gather_status`` asks the servers directly (the relay role for the outbox, JetStream for consumers);
``heartbeat_status`` reads what running components last reported, for callers without NATS access.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import nats.js.errors
import psycopg

from pavedroad.events.config import EventsConfig
from pavedroad.events.dlq import dlq_size
from pavedroad.events.metrics import event_metrics
from pavedroad.events.nats_connect import connect_nats
from pavedroad.events.partitions import RELAY_ROLE
from pavedroad.events.relay import BACKLOG_SQL

__all__ = ["ConsumerLag", "EventsStatus", "gather_status", "heartbeat_status"]


@dataclass
class ConsumerLag:
    name: str
    pending: int
    ack_pending: int
    redelivered: int


@dataclass
class EventsStatus:
    outbox_backlog: int
    relay_lag_seconds: float
    stream: str
    stream_messages: int
    stream_last_seq: int
    dlq_messages: int
    consumers: list[ConsumerLag] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _components(conn: psycopg.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "select component, kind, backlog, lag_seconds, dead_letters, details,"
        " extract(epoch from now() - updated_at)::float8 from pavedroad_meta.event_components order by component"
    ).fetchall()
    keys = ("component", "kind", "backlog", "lag_seconds", "dead_letters", "details", "seconds_since_report")
    return [dict(zip(keys, r, strict=True)) for r in rows]


async def gather_status(owner_url: str, nats_url: str | None, config: EventsConfig | None = None) -> EventsStatus:
    """Measure everything now; also sets the Prometheus gauges."""
    config = config or EventsConfig()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(f"set role {RELAY_ROLE}")
        row = conn.execute(BACKLOG_SQL).fetchone()
        assert row is not None
        components = _components(conn)
    status = EventsStatus(int(row[0]), float(row[1]), config.stream, 0, 0, 0, components=components)
    if nats_url is not None:
        nc = await connect_nats(nats_url, name="events-status")
        try:
            js = nc.jetstream()
            try:
                info = await js.stream_info(config.stream)
                status.stream_messages = int(info.state.messages or 0)
                status.stream_last_seq = int(info.state.last_seq or 0)
                for info_c in await js.consumers_info(config.stream):
                    status.consumers.append(
                        ConsumerLag(
                            str(info_c.name),
                            int(info_c.num_pending or 0),
                            int(info_c.num_ack_pending or 0),
                            int(info_c.num_redelivered or 0),
                        )
                    )
            except nats.js.errors.NotFoundError:
                pass
            status.dlq_messages = await dlq_size(js, config)
        finally:
            await nc.close()
    metrics = event_metrics()
    metrics.outbox_backlog.set(status.outbox_backlog)
    metrics.relay_lag_seconds.set(status.relay_lag_seconds)
    metrics.dlq_messages.set(status.dlq_messages)
    for c in status.consumers:
        metrics.consumer_lag.labels(c.name).set(c.pending + c.ack_pending)
    return status


async def heartbeat_status(conn: psycopg.AsyncConnection) -> dict[str, Any]:
    """The tenant's own outbox backlog (RLS-scoped) and the components' last reports."""
    row = await (await conn.execute(BACKLOG_SQL)).fetchone()
    assert row is not None
    cur = await conn.execute(
        "select component, kind, backlog, lag_seconds, dead_letters, details,"
        " extract(epoch from now() - updated_at)::float8 from pavedroad_meta.event_components order by component"
    )
    keys = ("component", "kind", "backlog", "lag_seconds", "dead_letters", "details", "seconds_since_report")
    components = [dict(zip(keys, r, strict=True)) for r in await cur.fetchall()]
    return {"tenant_outbox_backlog": int(row[0]), "tenant_relay_lag_seconds": float(row[1]), "components": components}
