"""Events: envelope, schemas, transactional outbox, relay to NATS JetStream, consumers, dead letters.

Write an event in the same transaction as the change it describes::

    async with tenancy.atransaction(pool, principal) as tx:
        await tx.execute("update applications set ...")
        await events.aappend(tx, StageMoved(...).to_event(principal.tenant_id, aggregate_id=app_id))

The relay (``run_relay``) publishes committed events to JetStream, in order per aggregate, exactly
once into the stream (``Nats-Msg-Id`` dedup); consumers (``Consumer``) process them idempotently.
"""

from typing import TYPE_CHECKING

from pavedroad.events.compat import breaking_changes, load_snapshot, write_snapshot
from pavedroad.events.config import EventsConfig
from pavedroad.events.envelope import CLASSIFICATIONS, Classification, Event, subject_for, uuid7
from pavedroad.events.heartbeat import areport_component
from pavedroad.events.metrics import event_metrics
from pavedroad.events.outbox import aappend, aappend_many, append_statements
from pavedroad.events.ports import EventHandler
from pavedroad.events.schemas import EventSchema, SchemaRegistry, classified, event_schema, registry

if TYPE_CHECKING:
    from pavedroad.events.consumer import REPLAY_HEADER, Consumer, ConsumerStats, PoisonMessage
    from pavedroad.events.dlq import DeadLetter, dlq_size, list_dead_letters, replay_dead_letters
    from pavedroad.events.nats_connect import connect_nats
    from pavedroad.events.relay import Relay, RelayStats
    from pavedroad.events.runners import run_relay, supervise
    from pavedroad.events.status import ConsumerLag, EventsStatus, gather_status, heartbeat_status
    from pavedroad.events.streams import ensure_streams, stream_last_seq

# The names that need the NATS client (nats-py, aiohttp) load on first use: writing an event into the
# outbox (every audited query, every command) must not pay ~200 ms of imports it never uses.
_LAZY = {
    "REPLAY_HEADER": "consumer",
    "Consumer": "consumer",
    "ConsumerStats": "consumer",
    "PoisonMessage": "consumer",
    "DeadLetter": "dlq",
    "dlq_size": "dlq",
    "list_dead_letters": "dlq",
    "replay_dead_letters": "dlq",
    "connect_nats": "nats_connect",
    "Relay": "relay",
    "RelayStats": "relay",
    "run_relay": "runners",
    "supervise": "runners",
    "ConsumerLag": "status",
    "EventsStatus": "status",
    "gather_status": "status",
    "heartbeat_status": "status",
    "ensure_streams": "streams",
    "stream_last_seq": "streams",
}


def __getattr__(name: str) -> object:
    """Load a NATS-using name from its module on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CLASSIFICATIONS",
    "REPLAY_HEADER",
    "Classification",
    "Consumer",
    "ConsumerLag",
    "ConsumerStats",
    "DeadLetter",
    "Event",
    "EventHandler",
    "EventSchema",
    "EventsConfig",
    "EventsStatus",
    "PoisonMessage",
    "Relay",
    "RelayStats",
    "SchemaRegistry",
    "aappend",
    "aappend_many",
    "append_statements",
    "areport_component",
    "breaking_changes",
    "classified",
    "connect_nats",
    "dlq_size",
    "ensure_streams",
    "event_metrics",
    "event_schema",
    "gather_status",
    "heartbeat_status",
    "list_dead_letters",
    "load_snapshot",
    "registry",
    "replay_dead_letters",
    "run_relay",
    "stream_last_seq",
    "subject_for",
    "supervise",
    "uuid7",
    "write_snapshot",
]
