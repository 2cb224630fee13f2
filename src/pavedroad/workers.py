"""The background work of a pavedroad deployment, composed once for ``pavedroad worker`` and ``demo``.

``run_workers`` runs, until ``stop`` is set: the outbox relay (Postgres → JetStream), the warehouse sink
(JetStream → DuckDB, the file's only writer), the canary controller (flag ramps judged by the SLO
recorder's cohort slices) and the SLO alert evaluator. Each is supervised by its own block (it restarts
after errors); cancelling stops them cleanly. Like ``stack.py`` this is composition, not a block.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import structlog
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.settings import Settings
from pavedroad.stack import Stack

__all__ = ["WORKER_NAMES", "Workers", "run_workers"]

WORKER_NAMES = ("relay", "sink", "canary", "slo")
_log = structlog.get_logger("pavedroad.workers")


@dataclass
class Workers:
    """Handles to the running workers (the canary controller is shared with the service for pause/resume)."""

    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    canary_controller: Any = None


async def run_workers(
    stack: Stack,
    settings: Settings,
    pool: AsyncConnectionPool,
    *,
    stop: asyncio.Event,
    only: frozenset[str] = frozenset(WORKER_NAMES),
    started: asyncio.Future[Workers] | None = None,
) -> None:
    """Run the selected workers until ``stop`` is set; then cancel and await them."""
    workers = Workers()
    if stack.nats_url and "relay" in only:
        workers.tasks["relay"] = asyncio.create_task(_relay(stack), name="pavedroad-relay")
    if stack.nats_url and "sink" in only:
        workers.tasks["sink"] = asyncio.create_task(_sink(stack, settings), name="pavedroad-sink")
    if "canary" in only:
        from pavedroad.canary import build_controller, flag_rollouts, run_controller
        from pavedroad.testing import SystemClock

        controller = build_controller(pool, [], clock=SystemClock(), interval_s=10.0)
        workers.canary_controller = controller
        workers.tasks["canary"] = run_controller(controller, stop=stop, refresh=lambda: flag_rollouts(pool))
    slo_pool = None
    if "slo" in only:
        slo_pool = ConnectionPool(stack.app_url, min_size=1, max_size=2, open=True)
        workers.tasks["slo"] = asyncio.create_task(_slo_evaluator(slo_pool, stop), name="pavedroad-slo-evaluator")
    if started is not None and not started.done():
        started.set_result(workers)
    _log.info("workers started", workers=sorted(workers.tasks))
    try:
        await stop.wait()
    finally:
        for task in workers.tasks.values():
            task.cancel()
        for name, task in workers.tasks.items():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(_quiet(task), timeout=10)
            _log.info("worker stopped", worker=name)
        if slo_pool is not None:
            slo_pool.close()


async def _quiet(task: Awaitable[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _relay(stack: Stack) -> None:
    from pavedroad.events import EventsConfig, run_relay

    assert stack.nats_url is not None
    await run_relay(stack.owner_url, stack.nats_url, EventsConfig())


async def _sink(stack: Stack, settings: Settings) -> None:
    from pavedroad.events import EventsConfig
    from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS
    from pavedroad.warehouse import run_sink
    from pavedroad.warehouse.backfill import backfill_if_empty

    assert stack.nats_url is not None
    path = settings.data_dir / "warehouse.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Seeded rows were bulk-loaded without events: an empty warehouse is filled from Postgres first.
    try:
        await asyncio.to_thread(
            backfill_if_empty, path, stack.owner_url, nats_url=stack.nats_url, table_names=MIRRORED_TABLES,
            projections=PROJECTIONS, config=EventsConfig(),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - the sink still runs (and reports its own errors)
        _log.warning("warehouse backfill failed; starting the sink without it", error=type(exc).__name__)
    await run_sink(
        stack.nats_url, path, projections=PROJECTIONS, table_names=MIRRORED_TABLES,
        owner_url=stack.owner_url, config=EventsConfig(),
    )  # fmt: skip


async def _slo_evaluator(pool: ConnectionPool, stop: asyncio.Event) -> None:
    from pavedroad.slo import load_specs
    from pavedroad.slo.cached import CachedSliceSource
    from pavedroad.slo.evaluator import Evaluator, run_evaluator

    with resources.as_file(resources.files("pavedroad.recruiting").joinpath("slos.yaml")) as spec:
        slos = load_specs(Path(spec))
    evaluator = Evaluator(slos, CachedSliceSource(pool.connection), clock=_StoppableClock(stop))
    await asyncio.to_thread(run_evaluator, evaluator, interval_s=15.0, should_stop=stop.is_set)


class _StoppableClock:
    """The system clock whose sleep returns early once ``stop`` is set (so the evaluator thread ends)."""

    def __init__(self, stop: asyncio.Event) -> None:
        from pavedroad.testing import SystemClock

        self._clock = SystemClock()
        self._stop = stop

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def time(self) -> float:
        return self._clock.time()

    def sleep(self, seconds: float) -> None:
        deadline = self._clock.monotonic() + seconds
        while not self._stop.is_set() and self._clock.monotonic() < deadline:
            self._clock.sleep(min(0.2, max(0.0, deadline - self._clock.monotonic())))
