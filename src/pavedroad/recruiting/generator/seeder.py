"""``seed()``: generate recruiting data for new tenants and load it with COPY, in one transaction.

Guarantees: the same ``seed`` into an empty database loads identical rows (no wall clock, no global
random state); into a database that already has tenants it appends new tenants with fresh ids and moves
every identity sequence past the loaded ids, so later inserts never collide; a failure loads nothing
(each loading connection holds one transaction, and they all commit only after every batch loaded and
every foreign key was verified); two seeds never overlap on one database (an advisory lock, held by the
connection that commits last). It connects with
the owner URL, which bypasses row-level security (a superuser, as the embedded server's is).
Concurrent application writes during a seed are not supported: seeding is an operator action.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from typing import Any

import psycopg
from psycopg import sql
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from pavedroad.errors import InvalidInput
from pavedroad.recruiting.generator.application_rows import build_chunk
from pavedroad.recruiting.generator.columns import TABLES, Batch, Ids
from pavedroad.recruiting.generator.constraints import (
    can_skip_fk_triggers,
    tables_with_user_triggers,
    verify_foreign_keys,
)
from pavedroad.recruiting.generator.copy import CopyLoader, current_ids, move_sequences
from pavedroad.recruiting.generator.plan import REFERENCE, TenantPlan, chunk_sizes, plan_tenants
from pavedroad.recruiting.generator.report import SeedReport
from pavedroad.recruiting.generator.tenant_rows import World, build_world

__all__ = ["LANES", "MAX_APPLICATIONS", "MAX_TENANTS", "seed"]

# Connections loading in parallel, each its own tenants (a constant, so generation order — and so the
# ids — never depend on the machine). Two keeps both cores of a small machine busy in Postgres.
LANES = 2

MAX_APPLICATIONS = 50_000_000
MAX_TENANTS = 100_000
_LOCK_SQL = "select pg_advisory_xact_lock(hashtext('pavedroad.recruiting.seed'))"


def _check(applications: int, tenants: int) -> None:
    if not (1 <= tenants <= MAX_TENANTS and tenants <= applications <= MAX_APPLICATIONS):
        raise InvalidInput(
            f"cannot seed {applications} application(s) over {tenants} tenant(s): need 1 ≤ tenants ≤ applications,"
            f" tenants ≤ {MAX_TENANTS:,} and applications ≤ {MAX_APPLICATIONS:,}",
            hint="e.g. `pavedroad seed --applications 100000 --tenants 10 --seed 7`",
        )


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[tuple[Progress | None, TaskID | None]]:
    if not enabled:
        yield None, None
        return
    columns: list[Any] = [
        TextColumn("[bold]seeding[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("applications"),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns) as bar:
        yield bar, bar.add_task("seed", total=total, rows=0)


def _lanes(plans: list[TenantPlan], lanes: int) -> list[list[TenantPlan]]:
    """Tenants split over ``lanes`` connections, largest first onto the least loaded (deterministic)."""
    assigned: list[list[TenantPlan]] = [[] for _ in range(min(lanes, len(plans)))]
    load = [0] * len(assigned)
    for plan in plans:
        lane = load.index(min(load))
        assigned[lane].append(plan)
        load[lane] += plan.applications
    return assigned


def _work(lanes: list[list[TenantPlan]]) -> Iterator[tuple[int, TenantPlan, int, int]]:
    """(lane, tenant, chunk, size) in generation order: lanes interleaved; chunk -1 is the tenant's setup."""
    queues = [
        [(p, c, n) for p in lane for c, n in [(-1, 0), *enumerate(chunk_sizes(p.applications))]] for lane in lanes
    ]
    for step in range(max(map(len, queues))):
        for lane, items in enumerate(queues):
            if step < len(items):
                yield (lane, *items[step])


def _settle(owner_url: str) -> None:
    """VACUUM (ANALYZE) what was loaded, as after any bulk load: fresh statistics for the planner, and a
    visibility map so reports read covering indexes without visiting the heap from the first query on."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.SQL(", ").join(map(sql.Identifier, TABLES))))


def seed(
    owner_url: str,
    *,
    applications: int,
    tenants: int,
    seed: int,
    progress: bool = True,
    reference: date | None = None,
) -> SeedReport:
    """Generate ``applications`` applications over ``tenants`` new tenants (sizes Zipf-spread) and load them.

    ``reference`` is the data's "today" (default 2026-06-30, so checksums never depend on the clock); a
    demo may pass ``date.today()`` so relative filters ("last 90 days") find recent activity.

    >>> report = seed(owner_url, applications=2_000, tenants=3, seed=1, progress=False)  # doctest: +SKIP
    >>> report.tenants, report.rows["applications"]  # doctest: +SKIP
    (['acme', 'globex', 'initech'], 2000)
    """
    _check(applications, tenants)
    started = time.perf_counter()
    rows: Counter[str] = Counter()
    counted = threading.Lock()
    with ExitStack() as stack:
        first = stack.enter_context(psycopg.connect(owner_url))
        first.execute(_LOCK_SQL)
        taken = [r[0] for r in first.execute("select tenant_id from tenants").fetchall()]
        at = REFERENCE if reference is None else int(datetime.combine(reference, time_of_day.min, UTC).timestamp())
        plans = plan_tenants(applications, tenants, seed, taken, reference=at)
        ids = Ids(current_ids(first))
        lanes = _lanes(plans, LANES)
        conns = [first] + [stack.enter_context(psycopg.connect(owner_url)) for _ in lanes[1:]]
        skip = frozenset(TABLES) - tables_with_user_triggers(first, list(TABLES))
        skip = skip if can_skip_fk_triggers(first) else frozenset()
        bar, task = stack.enter_context(_progress_bar(progress, applications))

        def loaded(batch: Batch) -> None:
            with counted:
                for name, table in batch.tables:
                    rows[name] += table.num_rows
                total = sum(rows.values())
            if bar is not None and task is not None:
                bar.update(task, advance=batch.applications, rows=total)

        with ExitStack() as loading:
            loaders = [loading.enter_context(CopyLoader(c, loaded, skip_fk_triggers=skip)) for c in conns]
            worlds: dict[str, World] = {}
            for lane, plan, chunk, size in _work(lanes):
                if chunk < 0:
                    worlds[plan.tenant_id], setup = build_world(plan, seed, ids)
                    loaders[lane].put(setup)
                else:
                    loaders[lane].put(build_chunk(worlds[plan.tenant_id], seed, chunk, size, ids))
        with ThreadPoolExecutor(len(conns), thread_name_prefix="pavedroad-seed-verify") as pool:
            checks = [
                pool.submit(verify_foreign_keys, conn, sorted(skip), [p.tenant_id for p in lane_plans])
                for conn, lane_plans in zip(conns, lanes, strict=True)
            ]
            for check in checks:
                check.result()
        move_sequences(first, ids.last())
        for conn in reversed(conns):  # the first holds the advisory lock: it lets go last
            conn.commit()
    _settle(owner_url)
    return SeedReport(rows=dict(rows), seconds=time.perf_counter() - started, tenants=[p.tenant_id for p in plans])
