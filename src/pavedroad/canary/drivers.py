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
from pavedroad.canary.model import CohortCounts, Decision, Policy, SlicePair
from pavedroad.canary.ports import CohortSpec, DecisionSink, RampCommand, RampOp, RampPosition
from pavedroad.clock import Clock

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
    """``CohortMetricsSource`` over the SLO recorder's slices in Postgres (kind ``http``).

    Recorder slices (10 s by default) are summed into ``bin_seconds`` bins — any partition of time works
    for the tests as long as both cohorts share it — and only bins that ended ``settle_s`` before
    ``until`` are returned, so a bin is never looked at while other processes may still flush into it.
    Per-tenant counts (for the tenant gate) come in coarser ``tenant_bin_seconds`` bins, attached to the
    pair that starts the bin, which keeps the rows read per check small.
    """

    def __init__(
        self, pool: AsyncConnectionPool, *, bin_seconds: int = 60, tenant_bin_seconds: int = 300, settle_s: float = 15.0
    ) -> None:
        if bin_seconds < 1 or tenant_bin_seconds % bin_seconds:
            raise ValueError("bin_seconds must be ≥ 1 and divide tenant_bin_seconds")
        self.pool = pool
        self.bin_seconds, self.tenant_bin_seconds, self.settle_s = bin_seconds, tenant_bin_seconds, settle_s

    def _where(self, spec: CohortSpec, since: float, until: float) -> tuple[sql.Composed, list[Any]]:
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
        return sql.SQL(" and ").join(filters), params

    async def slices(self, spec: CohortSpec, since: float, until: float) -> list[SlicePair]:
        label = sql.Identifier(spec.dimension)
        where, params = self._where(spec, since, until)
        binned = sql.SQL(
            "extract(epoch from date_bin(make_interval(secs => %s), slice_start, timestamptz 'epoch'))::float8"
        )
        cohorts = sql.SQL(
            "select {bin}, {label}, sum(total)::bigint, sum(bad)::bigint, pavedroad_meta.slo_sketch_sum(sketch)"
            " from pavedroad_meta.slo_slices where {where} group by 1, 2 order by 1"
        ).format(bin=binned, label=label, where=where)
        tenants = sql.SQL(
            "select {bin}, {label}, tenant_id, sum(total)::bigint, sum(bad)::bigint"
            " from pavedroad_meta.slo_slices where {where} and tenant_id <> '' group by 1, 2, 3"
        ).format(bin=binned, label=label, where=where)
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(cohorts, [self.bin_seconds, *params])).fetchall()
            tenant_rows = await (await conn.execute(tenants, [self.tenant_bin_seconds, *params])).fetchall()
        horizon = until - self.settle_s
        return _pairs(
            [r for r in rows if r[0] + self.bin_seconds <= horizon],
            [r for r in tenant_rows if r[0] + self.tenant_bin_seconds <= horizon],
            spec,
            float(self.bin_seconds),
        )


def _pairs(
    rows: list[tuple[Any, ...]], tenant_rows: list[tuple[Any, ...]], spec: CohortSpec, seconds: float
) -> list[SlicePair]:
    cells: dict[float, dict[str, CohortCounts]] = {}
    for start, label, total, bad, sketch in rows:
        cells.setdefault(start, {})[label] = CohortCounts(int(total), int(bad), sketch_to_buckets(sketch or {}))
    per_tenant: dict[float, dict[str, dict[str, CohortCounts]]] = {}
    for start, label, tenant, total, bad in tenant_rows:
        cells.setdefault(start, {})
        per_tenant.setdefault(start, {}).setdefault(tenant, {})[label] = CohortCounts(int(total), int(bad))
    out = []
    for start in sorted(cells):
        by_label = cells[start]
        tenants = {
            t: (c.get(spec.baseline, CohortCounts()), c.get(spec.canary, CohortCounts()))
            for t, c in sorted(per_tenant.get(start, {}).items())
        }
        empty = CohortCounts()
        out.append(
            SlicePair(start, seconds, by_label.get(spec.baseline, empty), by_label.get(spec.canary, empty), tenants)
        )
    return out


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
