"""Claiming due runs across tenants: leases, per-tenant concurrency limits and fairness.

Guarantees, all from Postgres alone (no broker):
- a run is leased to at most one worker at a time: the lease is taken on a row locked with
  ``FOR UPDATE SKIP LOCKED`` whose lease is empty or expired, so concurrent claimers never wait on each
  other and never both win; a crashed worker's runs come back when its lease expires;
- a queue's per-tenant concurrency limit holds across workers: the claimer takes a transaction-scoped
  advisory lock on (tenant, queue) before counting that pair's live leases, so two claimers cannot both
  see a free slot; a slot is a live lease, so a crashed or suspended run never holds one for good;
- fairness: candidates are ordered by their rank within their tenant, so claims go round-robin over the
  tenants with due work and a tenant with a large backlog cannot starve the others.
Claims run as ``pavedroad_workflows``, which may read runs' scheduling columns and write only the lease.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg

from pavedroad.workflows.store import at

__all__ = ["WORKER_ROLE", "Claim", "claim"]

WORKER_ROLE = "pavedroad_workflows"
_PAIR_LOCK = 7211  # advisory lock namespace of (tenant, queue) slots

_CANDIDATES = """
select tenant_id, workflow_id, queue from (
    select tenant_id, workflow_id, queue, ready_at,
           row_number() over (partition by tenant_id order by ready_at, workflow_id) as rank
    from workflow_runs
    where status in ('queued', 'running', 'sleeping', 'waiting') and ready_at <= %(now)s
      and (lease_expires_at is null or lease_expires_at <= %(now)s)
      and queue = any(%(queues)s) and name || '@' || version = any(%(known)s)
) due order by rank, ready_at, tenant_id limit %(scan)s
"""

_TAKE = """
update workflow_runs set lease_owner = %(owner)s, lease_expires_at = %(until)s
where (tenant_id, workflow_id) in (
    select tenant_id, workflow_id from workflow_runs
    where tenant_id = %(tenant)s and workflow_id = %(id)s
      and status in ('queued', 'running', 'sleeping', 'waiting') and ready_at <= %(now)s
      and (lease_expires_at is null or lease_expires_at <= %(now)s)
    for update skip locked)
returning 1
"""


@dataclass(frozen=True)
class Claim:
    """A leased run: the worker owns it until ``now + lease``."""

    tenant_id: str
    workflow_id: str


async def _slot_free(
    conn: psycopg.AsyncConnection, tenant: str, queue: str, *, limit: int, now: float, locked: set[tuple[str, str]]
) -> bool:
    if (tenant, queue) not in locked:
        got = await (
            await conn.execute("select pg_try_advisory_xact_lock(%s, hashtext(%s))", (_PAIR_LOCK, f"{tenant}/{queue}"))
        ).fetchone()
        if not (got and got[0]):
            return False  # another claimer is filling this pair's slots right now
        locked.add((tenant, queue))
    row = await (
        await conn.execute(
            "select count(*) from workflow_runs where tenant_id = %s and queue = %s and lease_expires_at > %s",
            (tenant, queue, at(now)),
        )
    ).fetchone()
    return row is not None and row[0] < limit


async def claim(
    conn: psycopg.AsyncConnection,
    *,
    owner: str,
    known: Sequence[str],
    limits: Mapping[str, int | None],
    now: float,
    lease_s: float,
    max_runs: int,
) -> list[Claim]:
    """Lease up to ``max_runs`` due runs of the ``known`` ``name@version``s on the queues in ``limits``.

    ``conn`` is a connection as ``pavedroad_workflows`` (not in a transaction); the claim is one transaction.
    """
    if max_runs <= 0 or not known:
        return []
    taken: list[Claim] = []
    locked: set[tuple[str, str]] = set()
    async with conn.transaction():
        cur = await conn.execute(
            _CANDIDATES,
            {"now": at(now), "queues": list(limits), "known": list(known), "scan": max_runs * 4},
        )
        for tenant, workflow_id, queue in await cur.fetchall():
            if len(taken) >= max_runs:
                break
            limit = limits.get(queue)
            if limit is not None and not await _slot_free(conn, tenant, queue, limit=limit, now=now, locked=locked):
                continue
            params = {"owner": owner, "until": at(now + lease_s), "tenant": tenant, "id": workflow_id, "now": at(now)}
            if await (await conn.execute(_TAKE, params)).fetchone():
                taken.append(Claim(tenant, workflow_id))
    return taken
