"""The engine on real Postgres: checkpoints, replay, durable sleeps, signals, cancellation, versions,
events, and tenant isolation of runs."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad import workflows
from pavedroad.errors import Conflict, InvalidInput, NotFound
from pavedroad.testing import FakeClock, TestDatabase
from tests.integration.workflows.conftest import ACME, GLOBEX


def _registry(calls: list[str]) -> workflows.Registry:
    registry = workflows.Registry()

    @registry.workflow("greet")
    async def greet(ctx: workflows.WorkflowContext, data: dict[str, str]) -> str:
        async def shout(text: str) -> str:
            calls.append(text)
            return text.upper()

        first = await ctx.step("shout", shout, data["name"])
        await ctx.sleep(3600)
        second = await ctx.step("shout", shout, "again")
        return f"{first} {second}"

    return registry


def _events(owner_url: str, workflow_id: str) -> list[str]:
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "select event_type from event_outbox where aggregate_type = 'workflow' and aggregate_id = %s order by seq",
            (workflow_id,),
        ).fetchall()
    return [r[0] for r in rows]


async def test_a_run_sleeps_durably_and_resumes_after_its_checkpoint(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    """Steps run once; the sleep parks the run until the clock passes it; the replay returns recorded results;
    every state change is an event in the outbox."""
    calls: list[str] = []
    registry = _registry(calls)
    await workflows.start(app_pool, ACME, registry, "greet", "greet:1", input_value={"name": "ada"}, clock=clock)
    async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as worker:
        assert await worker.run_once() == 1
        assert (await workflows.get(app_pool, ACME, "greet:1"))["status"] == "sleeping"
        assert await worker.run_once() == 0  # not due yet
        clock.advance(3599)
        assert await worker.run_once() == 0
        clock.advance(1)
        assert await worker.run_once() == 1
    run = await workflows.get(app_pool, ACME, "greet:1")
    assert (run["status"], run["output"]) == ("succeeded", "ADA AGAIN")
    assert calls == ["ada", "again"]
    assert [s["step_index"] for s in run["steps"]] == [0, 1, 2]
    assert _events(database.owner_url, "greet:1") == [
        "workflow_queued",
        "workflow_running",
        "workflow_sleeping",
        "workflow_running",
        "workflow_succeeded",
    ]


async def test_signals_wake_a_waiting_run_and_timeouts_expire(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    registry = workflows.Registry()

    @registry.workflow("approve")
    async def approve(ctx: workflows.WorkflowContext, _: object) -> object:
        return await ctx.wait_signal("decision", timeout=600)

    for wid in ("a:1", "a:2"):
        await workflows.start(app_pool, ACME, registry, "approve", wid, clock=clock)
    async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as worker:
        assert await worker.run_once() == 2
        assert (await workflows.get(app_pool, ACME, "a:1"))["status"] == "waiting"
        assert await workflows.signal(app_pool, ACME, "a:1", "decision", payload={"ok": True}, clock=clock)
        assert not await workflows.signal(app_pool, ACME, "a:1", "decision", payload={"ok": False}, clock=clock)
        assert await worker.run_once() == 1  # only the signalled run is due
        clock.advance(600)
        assert await worker.run_once() == 1
    first, second = [await workflows.get(app_pool, ACME, w) for w in ("a:1", "a:2")]
    assert (first["status"], first["output"]) == ("succeeded", {"ok": True})
    assert (second["status"], second["output"]) == ("succeeded", None)


async def test_cancel_stops_a_run_and_retry_resumes_a_failed_one(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    registry = workflows.Registry()
    attempts: list[int] = []

    @registry.workflow("flaky")
    async def flaky(ctx: workflows.WorkflowContext, _: object) -> str:
        async def once() -> int:
            attempts.append(ctx.attempt)
            return len(attempts)

        await ctx.step("count", once)
        if ctx.attempt == 1:
            raise RuntimeError("transient")
        await ctx.sleep(10)
        return "ok"

    await workflows.start(app_pool, ACME, registry, "flaky", "f:1", clock=clock)
    async with workflows.Worker(registry, app_pool, database.owner_url, clock=clock) as worker:
        await worker.run_once()
        failed = await workflows.get(app_pool, ACME, "f:1")
        assert (failed["status"], failed["error"]) == ("failed", "RuntimeError: transient")
        assert await workflows.cancel(app_pool, ACME, "f:1") == "failed"  # a finished run keeps its status
        with pytest.raises(NotFound):
            await workflows.retry(app_pool, ACME, "nope:1")
        await workflows.retry(app_pool, ACME, "f:1", clock=clock)
        await worker.run_once()
        assert (await workflows.get(app_pool, ACME, "f:1"))["status"] == "sleeping"
        assert await workflows.cancel(app_pool, ACME, "f:1", clock=clock) == "cancelled"
        clock.advance(10)
        assert await worker.run_once() == 0
    assert attempts == [1]  # the completed step was not run again on retry
    with pytest.raises(Conflict):
        await workflows.signal(app_pool, ACME, "f:1", "late")
    assert "workflow_cancelled" in _events(database.owner_url, "f:1")


async def test_a_run_keeps_the_code_version_it_started_with(
    database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock
) -> None:
    """A run started under v1 is resumed by v1 even after v2 is deployed; new runs start on v2; a worker
    without v1 leaves v1 runs for a worker that has it."""
    old, new = workflows.Registry(), workflows.Registry()

    async def v1(ctx: workflows.WorkflowContext, _: object) -> str:
        await ctx.sleep(5)
        return "v1"

    async def v2(ctx: workflows.WorkflowContext, _: object) -> str:
        return "v2"

    old.add(workflows.Workflow("doc", 1, v1))
    new.add(workflows.Workflow("doc", 1, v1))
    new.add(workflows.Workflow("doc", 2, v2))
    only_v2 = workflows.Registry()
    only_v2.add(workflows.Workflow("doc", 2, v2))
    started = await workflows.start(app_pool, ACME, old, "doc", "d:1", clock=clock)
    async with workflows.Worker(old, app_pool, database.owner_url, clock=clock) as worker:
        await worker.run_once()
    clock.advance(5)
    async with workflows.Worker(only_v2, app_pool, database.owner_url, clock=clock) as worker:
        assert await worker.run_once() == 0
    later = await workflows.start(app_pool, ACME, new, "doc", "d:2", clock=clock)
    async with workflows.Worker(new, app_pool, database.owner_url, clock=clock) as worker:
        assert await worker.run_once() == 2
    assert (started.version, later.version) == (1, 2)
    assert [(await workflows.get(app_pool, ACME, w))["output"] for w in ("d:1", "d:2")] == ["v1", "v2"]


async def test_runs_are_tenant_scoped(database: TestDatabase, app_pool: AsyncConnectionPool, clock: FakeClock) -> None:
    """A tenant neither sees, signals, cancels nor re-uses the id of another tenant's run."""
    registry = _registry([])
    await workflows.start(app_pool, ACME, registry, "greet", "same-id", input_value={"name": "a"}, clock=clock)
    again = await workflows.start(app_pool, GLOBEX, registry, "greet", "same-id", input_value={"name": "g"})
    assert again.created
    with pytest.raises(NotFound):
        await workflows.get(app_pool, GLOBEX, "never")
    assert [r["workflow_id"] for r in await workflows.list_runs(app_pool, GLOBEX)] == ["same-id"]
    async with app_pool.connection() as conn:
        hidden = await (await conn.execute("select count(*) from workflow_runs")).fetchone()
    assert hidden == (0,)  # no tenant entered: row-level security shows nothing


@pytest.mark.parametrize("bad", ["", " ", "a b", "x" * 201, "-leading"])
async def test_empty_and_malformed_ids_are_refused(app_pool: AsyncConnectionPool, bad: str) -> None:
    """An empty id never silently starts a fresh run each time (a known failure of other engines)."""
    with pytest.raises(InvalidInput) as error:
        await workflows.start(app_pool, ACME, _registry([]), "greet", bad)
    assert error.value.code == "WF400"
