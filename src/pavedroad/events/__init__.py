"""Events: envelope, schemas, transactional outbox, relay to NATS JetStream, consumers, dead letters.

Write an event in the same transaction as the change it describes::

    with tenancy.transaction(pool, principal) as tx:
        tx.execute("update applications set ...")
        events.append(tx, StageMoved(...).to_event(principal.tenant_id, aggregate_id=app_id))

The relay (``run_relay``) publishes committed events to JetStream, in order per aggregate, exactly
once into the stream (``Nats-Msg-Id`` dedup); consumers (``Consumer``) process them idempotently.
"""

from pavedroad.events.compat import breaking_changes, load_snapshot, write_snapshot
from pavedroad.events.config import EventsConfig
from pavedroad.events.envelope import CLASSIFICATIONS, Classification, Event, subject_for, uuid7
from pavedroad.events.outbox import aappend, aappend_many, append, append_many
from pavedroad.events.relay import Relay, RelayStats
from pavedroad.events.schemas import EventSchema, SchemaRegistry, classified, event_schema, registry

__all__ = [
    "CLASSIFICATIONS",
    "Classification",
    "Event",
    "EventSchema",
    "EventsConfig",
    "Relay",
    "RelayStats",
    "SchemaRegistry",
    "aappend",
    "aappend_many",
    "append",
    "append_many",
    "breaking_changes",
    "classified",
    "event_schema",
    "load_snapshot",
    "registry",
    "subject_for",
    "uuid7",
    "write_snapshot",
]
