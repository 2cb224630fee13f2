"""The production ports: slices from the SLO recorder's table, ramps through the flags store, sinks.

* ``SloSlicesSource`` reads ``pavedroad_meta.slo_slices`` (what ``pavedroad.slo``'s recorder flushes:
  per slice, route, status class, version, variant and tenant: ``total``, ``bad`` and a latency
  sketch with 1 % relative accuracy, the same buckets as ``canary.latency``), groups it by cohort
  label and tenant, and merges sketches in SQL. Only whole slices are returned.
* ``FlagsRampDriver`` maps ``RampCommand`` onto ``pavedroad.flags.AsyncRampController`` (audited with
  author and reason, propagated to every process like any flag change).
* ``CallbackSink`` and ``OutboxSink`` publish decisions (a function of yours; or a ``canary_decision``
  event in the transactional outbox of an operator tenant, relayed to NATS by ``pavedroad.events``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from pavedroad.canary.controller import Controller, Rollout
from pavedroad.canary.discover import guarded_rollouts
from pavedroad.canary.model import CohortCounts, Decision, Policy, SlicePair, merge_counts
from pavedroad.canary.ports import CohortSpec, DecisionSink, RampCommand, RampOp, RampPosition
from pavedroad.testing.clock import Clock

__all__ = [
    "CallbackSink",
    "FlagsRampDriver",
    "OutboxSink",
    "SloSlicesSource",
    "build_controller",
    "flag_rollouts",
    "sketch_to_buckets",
]

ZERO_KEY = -(2**20)  # the sketch's zero bin ("z"): below every real bucket


def sketch_to_buckets(sketch: dict[str, Any]) -> dict[int, int]:
    """The recorder's JSON sketch ``{"<bin>": n, "z": zeros}`` → ``{bucket key: count}``."""
    out: dict[int, int] = {}
    for key, count in sketch.items():
        k = ZERO_KEY if key == "z" else int(key)
        out[k] = out.get(k, 0) + int(count)
    return out


class SloSlicesSource:
    """``CohortMetricsSource`` over the SLO recorder's slices in Postgres (kind ``http``)."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def slices(self, spec: CohortSpec, since: float, until: float) -> list[SlicePair]:
        label = sql.Identifier(spec.dimension)  # "variant" or "version": a fixed column, never user text
        filters = [
            sql.SQL("kind = 'http'"),
            sql.SQL("slice_start >= %s"),
            sql.SQL("slice_start + make_interval(secs => slice_seconds) <= %s"),
            sql.SQL("{} = any(%s)").format(label),
        ]
        params: list[Any] = [
            dt.datetime.fromtimestamp(since, dt.UTC),
            dt.datetime.fromtimestamp(until, dt.UTC),
            [spec.baseline, spec.canary],
        ]
        for column, value in (("service", spec.service), ("route", spec.route)):
            if value is not None:
                filters.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
                params.append(value)
        query = sql.SQL(
            "select extract(epoch from slice_start)::float8, max(slice_seconds), {label}, tenant_id,"
            " sum(total)::bigint, sum(bad)::bigint, pavedroad_meta.slo_sketch_sum(sketch)"
            " from pavedroad_meta.slo_slices where {where}"
            " group by slice_start, {label}, tenant_id order by slice_start"
        ).format(label=label, where=sql.SQL(" and ").join(filters))
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(query, params)).fetchall()
        return _pairs(rows, spec)


def _pairs(rows: list[tuple[Any, ...]], spec: CohortSpec) -> list[SlicePair]:
    by_start: dict[float, dict[str, dict[str, CohortCounts]]] = {}
    seconds: dict[float, float] = {}
    for start, slice_s, label, tenant, total, bad, sketch in rows:
        seconds[start] = float(slice_s)
        cell = by_start.setdefault(start, {}).setdefault(label, {})
        cell[tenant] = CohortCounts(int(total), int(bad), sketch_to_buckets(sketch or {}))
    out = []
    for start in sorted(by_start):
        base, can = by_start[start].get(spec.baseline, {}), by_start[start].get(spec.canary, {})
        tenants = {t: (base.get(t, CohortCounts()), can.get(t, CohortCounts())) for t in set(base) | set(can) if t}
        out.append(SlicePair(start, seconds[start], _sum(base.values()), _sum(can.values()), tenants))
    return out


def _sum(items: Any) -> CohortCounts:
    total = CohortCounts()
    for c in items:
        total = merge_counts(total, c)
    return total


class FlagsRampDriver:
    """``RampDriver`` over the flags store: every move is an audited flag change with author and reason."""

    def __init__(self, pool: AsyncConnectionPool, clock: Clock) -> None:
        from pavedroad.flags import AsyncRampController

        self._control = AsyncRampController(pool, clock.time)

    async def apply(self, flag: str, command: RampCommand) -> RampPosition:
        if command.op is RampOp.READ:
            pos = await self._control.position(flag)
        else:
            pos = await self._control.update(
                flag,
                step=command.step,
                safe_step=command.safe_step,
                guard=command.guard,
                author=command.author,
                reason=command.reason or f"canary {command.op.value}",
            )
        return RampPosition(flag, pos.step, pos.percent, pos.last_step, pos.safe_step, pos.guard, pos.since, pos.hold_s)


class CallbackSink:
    """``DecisionSink`` calling an async function of yours with each decision."""

    def __init__(self, callback: Callable[[Decision], Awaitable[None]]) -> None:
        self.callback = callback

    async def emit(self, decision: Decision) -> None:
        await self.callback(decision)


class OutboxSink:
    """``DecisionSink`` appending a ``canary_decision`` event to ``tenant``'s outbox (relayed to NATS)."""

    def __init__(self, pool: AsyncConnectionPool, tenant: str) -> None:
        self.pool, self.tenant = pool, tenant

    async def emit(self, decision: Decision) -> None:
        from pavedroad.events import Event, aappend
        from pavedroad.tenancy import Principal, Role, atransaction

        event = Event(
            type="canary_decision",
            tenant_id=self.tenant,
            aggregate_type="rollout",
            aggregate_id=decision.rollout[:200],
            payload=decision.to_dict(),
        )
        async with atransaction(self.pool, Principal(self.tenant, None, Role.ADMIN)) as tx:
            await aappend(tx, event)


def build_controller(
    pool: AsyncConnectionPool,
    rollouts: Sequence[Rollout],
    *,
    clock: Clock,
    interval_s: float = 60.0,
    sinks: Sequence[DecisionSink] = (),
) -> Controller:
    """The production wiring: recorder slices in, flag ramps moved, decisions stored (plus ``sinks``).

    For ``pavedroad demo`` and the workers::

        controller = build_controller(pool, [], clock=SystemClock())
        app.state.canary_controller = controller          # the pause/resume routes find it here
        task = run_controller(controller, refresh=lambda: flag_rollouts(pool))
    """
    from pavedroad.canary.store import PostgresDecisionSink

    return Controller(
        rollouts,
        metrics=SloSlicesSource(pool),
        ramp=FlagsRampDriver(pool, clock),
        clock=clock,
        sinks=[PostgresDecisionSink(pool), *sinks],
        interval_s=interval_s,
    )


async def flag_rollouts(pool: AsyncConnectionPool, *, policy: Policy | None = None) -> list[Rollout]:
    """The guarded ramps in the flags store right now (``refresh`` for ``run_controller``)."""
    from pavedroad.flags import parse_flag_set

    async with pool.connection() as conn:
        rows = await (await conn.execute("select key, definition from pavedroad_meta.flags order by key")).fetchall()
    return guarded_rollouts(parse_flag_set({"flags": dict(rows)}), policy=policy)
