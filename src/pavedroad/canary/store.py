"""Decisions in Postgres (``pavedroad_meta.canary_decisions``): the durable record behind status and explain.

Guarantee: ``PostgresDecisionSink.emit`` writes one row per decision, in its own transaction, with the
full results (sample sizes, estimates, intervals, e-values, thresholds) as JSON; ``recent`` and
``latest_per_rollout`` read them back newest first. Every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from pavedroad.canary.model import Decision

__all__ = ["PostgresDecisionSink", "latest_per_rollout", "recent"]

_INSERT = (
    "insert into pavedroad_meta.canary_decisions"
    " (rollout, decided_at, action, step_from, step_to, checks_at_step, dry_run, reason, results)"
    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_COLUMNS = "id, rollout, decided_at, action, step_from, step_to, checks_at_step, dry_run, reason, results"


class PostgresDecisionSink:
    """A ``DecisionSink`` that records each decision as a row."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def emit(self, decision: Decision) -> None:
        d = decision.to_dict()
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                _INSERT,
                (
                    d["rollout"],
                    dt.datetime.fromtimestamp(d["at"], dt.UTC),
                    d["action"],
                    d["step_from"],
                    d["step_to"],
                    d["checks_at_step"],
                    d["dry_run"],
                    d["reason"],
                    Jsonb(d["results"]),
                ),
            )


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [c.strip() for c in _COLUMNS.split(",")]
    out = dict(zip(keys, row, strict=True))
    out["decided_at"] = out["decided_at"].isoformat()
    return out


async def recent(pool: AsyncConnectionPool, *, rollout: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` decisions, of one rollout or all."""
    async with pool.connection() as conn:
        if rollout is None:
            cur = await conn.execute(
                f"select {_COLUMNS} from pavedroad_meta.canary_decisions order by id desc limit %s", (limit,)
            )
        else:
            cur = await conn.execute(
                f"select {_COLUMNS} from pavedroad_meta.canary_decisions where rollout = %s order by id desc limit %s",
                (rollout, limit),
            )
        return [_row(r) for r in await cur.fetchall()]


async def latest_per_rollout(pool: AsyncConnectionPool) -> list[dict[str, Any]]:
    """The last decision of every rollout ever decided, by rollout name."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            f"select distinct on (rollout) {_COLUMNS} from pavedroad_meta.canary_decisions order by rollout, id desc"
        )
        return [_row(r) for r in await cur.fetchall()]
