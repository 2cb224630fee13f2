"""Long-running entry points for the worker and ``pavedroad demo``: asyncio tasks that restart on errors
and stop cleanly when cancelled.

    relay = asyncio.create_task(run_relay(stack.owner_url, stack.nats_url))
    ...
    relay.cancel(); await asyncio.gather(relay, return_exceptions=True)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import structlog

from pavedroad.events.config import EventsConfig
from pavedroad.events.relay import Relay

__all__ = ["run_relay", "supervise"]

_log = structlog.get_logger("pavedroad.events")


async def supervise(
    name: str, run: Callable[[], Awaitable[None]], *, min_delay: float = 0.2, max_delay: float = 5.0
) -> None:
    """Run ``run()`` forever: restart it with capped exponential back-off after any error."""
    delay = min_delay
    while True:
        started = time.monotonic()
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a supervisor restarts on any failure, logging it
            _log.warning(
                "component failed; restarting", component=name, error=str(exc) or type(exc).__name__, retry_in_s=delay
            )
        if time.monotonic() - started > 30:
            delay = min_delay
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


async def run_relay(
    owner_url: str,
    nats_url: str,
    config: EventsConfig | None = None,
    *,
    shards: Sequence[int] | None = None,
    on_published: Callable[[int], None] | None = None,
) -> None:
    """Relay the outbox to JetStream until cancelled, one supervised relay per shard (default: all).

    Several processes may run this for availability: each shard is owned by one relay at a time, the
    others stand by.
    """
    config = config or EventsConfig()
    wanted = list(shards) if shards is not None else list(range(config.relay_shards))

    def runner(shard: int) -> Callable[[], Awaitable[None]]:
        async def once() -> None:
            await Relay(owner_url, nats_url, config, shard=shard, on_published=on_published).run()

        return once

    async with asyncio.TaskGroup() as group:
        for shard in wanted:
            group.create_task(supervise(f"relay-{shard}", runner(shard)))
