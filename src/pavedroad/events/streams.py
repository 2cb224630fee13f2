"""JetStream streams for events and dead letters, created (or updated) from configuration on start."""

from __future__ import annotations

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from pavedroad.events.config import EventsConfig

__all__ = ["ensure_streams", "events_stream_config", "stream_last_seq"]

DLQ_MAX_AGE_S = 30 * 86400


def events_stream_config(config: EventsConfig) -> StreamConfig:
    return StreamConfig(
        name=config.stream,
        subjects=[config.subjects],
        retention=RetentionPolicy.LIMITS,
        max_age=config.max_age_s,
        max_bytes=config.max_bytes,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        num_replicas=config.replicas,
        duplicate_window=config.dedup_window_s,
    )


def _dlq_config(config: EventsConfig) -> StreamConfig:
    return StreamConfig(
        name=config.dlq_stream,
        subjects=[f"{config.dlq_prefix}.>"],
        retention=RetentionPolicy.LIMITS,
        max_age=DLQ_MAX_AGE_S,
        storage=StorageType.FILE,
        num_replicas=config.replicas,
        duplicate_window=config.dedup_window_s,
    )


async def _ensure(js: JetStreamContext, wanted: StreamConfig) -> None:
    try:
        await js.stream_info(wanted.name or "")
    except nats.js.errors.NotFoundError:
        await js.add_stream(wanted)
        return
    await js.update_stream(wanted)


async def ensure_streams(js: JetStreamContext, config: EventsConfig) -> None:
    """Create the events and dead-letter streams, or bring their settings in line with ``config``."""
    await _ensure(js, events_stream_config(config))
    await _ensure(js, _dlq_config(config))


async def stream_last_seq(js: JetStreamContext, stream: str) -> int:
    """The sequence of the newest message in ``stream`` (0 when empty)."""
    info = await js.stream_info(stream)
    return int(info.state.last_seq or 0)
