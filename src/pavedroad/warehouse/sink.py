"""The warehouse sink: a JetStream consumer that loads events into DuckDB in columnar micro-batches.

Position: the offset stored *in the warehouse* is the source of truth. On every (re)start the sink
recreates its durable consumer to begin at ``offset + 1`` and reads in stream order; after a batch
commits in DuckDB it acknowledges the batch's last message (AckAll). A crash between commit and ack
only causes redelivery of events at or below the offset, which ``Warehouse.load`` skips: the effect is
exactly once. The offset belongs to one incarnation of the stream (``Warehouse.follow_stream``): on start,
and whenever the sink is idle for ``_IDENTITY_CHECK_S``, the stream's creation time is compared with the
one the offset counts in; a recreated stream is read from its first message. Latency: ``fetch`` returns
as soon as any messages are available, so batches are as large as the backlog and as small as one event
when idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack

import nats.errors
import nats.js.errors
import psycopg
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from pavedroad.events import EventsConfig
from pavedroad.events.consumer import REPLAY_HEADER
from pavedroad.events.heartbeat import areport_component
from pavedroad.events.metrics import event_metrics
from pavedroad.events.nats_connect import connect_nats
from pavedroad.events.runners import supervise
from pavedroad.events.streams import ensure_streams
from pavedroad.warehouse.projection import Projection
from pavedroad.warehouse.warehouse import LoadResult, Warehouse

__all__ = ["SINK_CONSUMER", "SinkOptions", "SinkStats", "run_sink", "run_sink_once"]

_log = structlog.get_logger("pavedroad.warehouse.sink")

SINK_CONSUMER = "warehouse"
_IDENTITY_CHECK_S = 5.0  # an idle sink checks this often whether its stream was deleted and created again


@dataclass
class SinkStats:
    loaded: int = 0
    batches: int = 0
    offset: int = 0
    pending: int = 0
    started: float = field(default_factory=time.monotonic)


async def _finish_even_if_cancelled(task: asyncio.Future[LoadResult]) -> LoadResult:
    """Await a load running in a thread; on cancellation, let it finish before the file is closed."""
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await asyncio.wait([task])
        raise


async def _next_batch(sub: JetStreamContext.PullSubscription, config: EventsConfig) -> list[Msg]:
    """Wait (up to a second) for the first message, then take what else is there within ``sink_max_wait_s``.

    A one-message fetch returns the moment a message arrives; a many-message fetch waits out its whole
    timeout when the stream trickles, which would add that timeout to every event's latency.
    """
    try:
        first = await sub.fetch(1, timeout=1.0)
    except (TimeoutError, nats.errors.TimeoutError):
        return []
    if config.sink_batch <= 1:
        return list(first)
    try:
        rest = await sub.fetch(config.sink_batch - 1, timeout=config.sink_max_wait_s)
    except (TimeoutError, nats.errors.TimeoutError):
        rest = []
    return [*first, *rest]


async def _position_consumer(js: JetStreamContext, config: EventsConfig, consumer: str, offset: int) -> None:
    """(Re)create the durable consumer so delivery starts right after the warehouse's offset."""
    with contextlib.suppress(nats.js.errors.NotFoundError):
        await js.delete_consumer(config.stream, consumer)
    start: dict[str, Any] = (
        {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": offset + 1}
        if offset
        else {"deliver_policy": DeliverPolicy.ALL}
    )
    await js.add_consumer(
        config.stream,
        ConsumerConfig(
            durable_name=consumer,
            ack_policy=AckPolicy.ALL,
            ack_wait=max(config.ack_wait_s, 60.0),
            max_ack_pending=-1,
            filter_subject=config.subjects,
            **start,
        ),
    )


async def _incarnation(js: JetStreamContext, stream: str) -> tuple[str, int]:
    """The stream's identity (its creation time) and its newest sequence."""
    info = await js.stream_info(stream)
    return (info.created.isoformat() if info.created else ""), int(info.state.last_seq or 0)


async def _attach(
    js: JetStreamContext, warehouse: Warehouse, config: EventsConfig, consumer: str, stats: SinkStats
) -> tuple[JetStreamContext.PullSubscription, str]:
    """Tie the warehouse to the stream as it is now and position the consumer after the offset."""
    created, last_seq = await _incarnation(js, config.stream)
    if await asyncio.to_thread(warehouse.follow_stream, created, last_seq):
        _log.warning("the stream was recreated; loading it from its first message", stream=config.stream)
    offset = warehouse.offset()
    stats.offset = offset
    await _position_consumer(js, config, consumer, offset)
    return await js.pull_subscribe_bind(consumer, stream=config.stream), created


async def run_sink_once(
    nats_url: str,
    warehouse_path: Path | str,
    *,
    projections: Mapping[str, Sequence[Projection]],
    table_names: Sequence[str],
    owner_url: str | None = None,
    config: EventsConfig | None = None,
    consumer: str = SINK_CONSUMER,
    on_loaded: Callable[[LoadResult], None] | None = None,
    stats: SinkStats | None = None,
) -> None:
    """Run the sink until cancelled (or until an error, which the caller's supervisor restarts)."""
    config = config or EventsConfig()
    stats = stats or SinkStats()
    metrics = event_metrics()
    warehouse = await asyncio.to_thread(
        Warehouse.open,
        warehouse_path,
        owner_url=owner_url,
        table_names=table_names,
        projections=projections,
        stream=config.stream,
    )
    nc = None
    try:
        nc = await connect_nats(nats_url, name=f"sink-{consumer}")
        js = nc.jetstream()
        await ensure_streams(js, config)
        sub, created = await _attach(js, warehouse, config, consumer, stats)
        if owner_url is not None:
            await _refresh(warehouse, owner_url)
        last_dims = last_beat = last_check = time.monotonic()
        while True:
            msgs = await _next_batch(sub, config)
            if owner_url is not None and time.monotonic() - last_dims >= config.dims_refresh_s:
                await _refresh(warehouse, owner_url)
                last_dims = time.monotonic()
            if not msgs:
                if time.monotonic() - last_check >= _IDENTITY_CHECK_S:
                    last_check = time.monotonic()
                    if (await _incarnation(js, config.stream))[0] != created:
                        with contextlib.suppress(Exception):
                            await sub.unsubscribe()
                        sub, created = await _attach(js, warehouse, config, consumer, stats)
                continue
            # Dead letters replayed for a named consumer are not new events: advance past them.
            batch = [
                (m.metadata.sequence.stream, None if REPLAY_HEADER in (m.headers or {}) else m.data, m.subject)
                for m in msgs
            ]
            load = functools.partial(warehouse.load, batch, want_ids=on_loaded is not None)
            result = await _finish_even_if_cancelled(asyncio.ensure_future(asyncio.to_thread(load)))
            await msgs[-1].ack()
            stats.loaded += result.loaded
            stats.batches += 1
            stats.offset = result.offset
            stats.pending = int(msgs[-1].metadata.num_pending or 0)
            metrics.sink_rows_total.inc(result.loaded)
            metrics.sink_batch_seconds.observe(result.seconds)
            metrics.consumer_lag.labels(consumer).set(stats.pending)
            if on_loaded is not None:
                on_loaded(result)
            if owner_url is not None and time.monotonic() - last_beat >= 2.0:
                await _heartbeat(owner_url, consumer, stats)
                last_beat = time.monotonic()
    finally:
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()
        await asyncio.to_thread(warehouse.close)


async def _refresh(warehouse: Warehouse, owner_url: str) -> None:
    from pavedroad.warehouse.rebuild import refresh_dimensions

    await asyncio.to_thread(refresh_dimensions, warehouse, owner_url)


async def _heartbeat(owner_url: str, consumer: str, stats: SinkStats) -> None:
    async with await psycopg.AsyncConnection.connect(owner_url, autocommit=True) as conn:
        await areport_component(
            conn,
            f"sink-{consumer}",
            "sink",
            backlog=stats.pending,
            details={"loaded": stats.loaded, "offset": stats.offset, "batches": stats.batches},
        )


class SinkOptions(TypedDict, total=False):
    """``run_sink_once``'s keyword arguments, which ``run_sink`` passes through as they are."""

    projections: Required[Mapping[str, Sequence[Projection]]]
    table_names: Required[Sequence[str]]
    owner_url: str | None
    config: EventsConfig | None
    consumer: str
    on_loaded: Callable[[LoadResult], None] | None
    stats: SinkStats | None


async def run_sink(nats_url: str, warehouse_path: Path | str, **options: Unpack[SinkOptions]) -> None:
    """The sink as a supervised asyncio task: restarts after errors, stops cleanly when cancelled.

    sink = asyncio.create_task(run_sink(nats_url, "warehouse.duckdb", owner_url=owner_url,
                                        projections=PROJECTIONS, table_names=MIRRORED_TABLES))
    """
    once = functools.partial(run_sink_once, nats_url, warehouse_path, **options)
    await supervise(f"sink-{options.get('consumer', SINK_CONSUMER)}", once)
