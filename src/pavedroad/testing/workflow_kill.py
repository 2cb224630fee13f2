"""The workflow kill run: N ten-step workflows, worker processes SIGKILLed at random moments, effects counted.

Each step of workflow ``ten-steps`` POSTs ``{"effect": "<workflow id>/<step>"}`` through the resilience
pipeline (dependency ``effects``) with the step's idempotency key to an ``EffectReceiver``. While worker
processes (``python -m pavedroad.testing.workflow_kill <app url> <owner url> <lease s> <max runs>``) work,
random ones are SIGKILLed and replaced. The result counts effects applied more than once (duplicated),
expected effects never applied (lost) and runs not ``succeeded`` by the deadline (stuck). Used by
``tests/integration/workflows/test_kill.py`` (small) and ``benchmarks/workflows.py`` (full size).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad import workflows
from pavedroad.tenancy import Principal, Role
from pavedroad.testing.receiver import EffectReceiver

__all__ = ["DEPENDENCY", "STEPS", "KillResult", "registry", "run_kill", "start_runs"]

DEPENDENCY = "effects"
STEPS = 10
TENANTS = ("acme", "globex", "initech")


def registry() -> workflows.Registry:
    """The ten-step workflow every kill-run worker knows."""
    reg = workflows.Registry()

    @reg.workflow("ten-steps")
    async def ten_steps(ctx: workflows.WorkflowContext, data: dict[str, Any]) -> int:
        for step in range(int(data.get("steps", STEPS))):
            effect = {"effect": f"{ctx.workflow_id}/{step}"}
            await ctx.call(DEPENDENCY, "POST", f"{data['url']}/effect", json=effect)
        return int(data.get("steps", STEPS))

    return reg


async def start_runs(app_url: str, url: str, count: int, *, steps: int = STEPS, prefix: str = "k") -> list[str]:
    """Queue ``count`` runs spread over three tenants; returns their ids."""
    reg = registry()
    ids = [f"{prefix}:{n}" for n in range(count)]
    async with AsyncConnectionPool(app_url, min_size=1, max_size=4) as pool:
        for n, wid in enumerate(ids):
            principal = Principal(TENANTS[n % len(TENANTS)], None, Role.ADMIN)
            await workflows.start(pool, principal, reg, "ten-steps", wid, input_value={"url": url, "steps": steps})
    return ids


@dataclass(frozen=True)
class KillResult:
    """What the kill run observed."""

    workflows: int
    steps: int
    kills: int
    duplicated: int
    lost: int
    stuck: int
    deliveries: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spawn(app_url: str, owner_url: str, lease_s: float, max_runs: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "pavedroad.testing.workflow_kill", app_url, owner_url, str(lease_s), str(max_runs)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )


def _unfinished(owner_url: str, prefix: str) -> int:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "select count(*) from workflow_runs where workflow_id like %s and status <> 'succeeded'", (f"{prefix}:%",)
        ).fetchone()
    return int(row[0]) if row else 0


def run_kill(
    app_url: str,
    owner_url: str,
    *,
    count: int,
    workers: int,
    kills: int,
    log: Path,
    lease_s: float = 1.0,
    max_runs: int = 8,
    seed: int = 0,
    kill_gap_s: tuple[float, float] = (0.2, 0.8),
    timeout_s: float = 45.0,
    prefix: str = "k",
) -> KillResult:
    """Run the experiment against a migrated database (``app_url`` as ``pavedroad_app``, ``owner_url`` as owner)."""
    rng = random.Random(seed)
    began = time.monotonic()
    with EffectReceiver() as receiver:
        ids = asyncio.run(start_runs(app_url, receiver.url, count, prefix=prefix))
        procs = [_spawn(app_url, owner_url, lease_s, max_runs, log) for _ in range(workers)]
        done_kills = 0
        try:
            while done_kills < kills and _unfinished(owner_url, prefix):
                time.sleep(rng.uniform(*kill_gap_s))
                victim = rng.randrange(workers)
                procs[victim].send_signal(signal.SIGKILL)
                procs[victim].wait(10)
                procs[victim] = _spawn(app_url, owner_url, lease_s, max_runs, log)
                done_kills += 1
            deadline = began + timeout_s
            while _unfinished(owner_url, prefix) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        applied, deliveries = receiver.snapshot()
    expected = {f"{wid}/{step}" for wid in ids for step in range(STEPS)}
    return KillResult(
        workflows=count,
        steps=count * STEPS,
        kills=done_kills,
        duplicated=sum(n - 1 for n in applied.values() if n > 1),
        lost=len(expected - set(applied)),
        stuck=_unfinished(owner_url, prefix),
        deliveries=deliveries,
        seconds=round(time.monotonic() - began, 2),
    )


async def _work(app_url: str, owner_url: str, lease_s: float, max_runs: int) -> None:
    reg = registry()
    async with (
        AsyncConnectionPool(app_url, min_size=1, max_size=max_runs + 2) as pool,
        workflows.Worker(reg, pool, owner_url, lease_s=lease_s, max_runs=max_runs) as worker,
    ):
        await worker.run(asyncio.Event(), poll_s=0.02)


if __name__ == "__main__":
    asyncio.run(_work(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
