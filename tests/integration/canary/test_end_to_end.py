"""End to end on real Postgres: a flag-gated code path starts failing, the SLO recorder sees it per
cohort, and the canary controller rolls the flag's ramp back through the flags store while the
service keeps serving. Time is a FakeClock shared by the recorder, the flags and the controller; request
latency comes from a second FakeClock that the service advances by the same amount on either path, so the
latency tests see two identical cohorts however loaded the machine is and every decision is decided by
counts alone: the test is deterministic (exact decisions at exact checks, no retry budget)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from pavedroad import slo
from pavedroad.canary import Action, Policy
from pavedroad.canary.controller import Controller, Rollout
from pavedroad.canary.drivers import FlagsRampDriver, SloSlicesSource, flag_rollouts
from pavedroad.canary.memory import MemorySink
from pavedroad.canary.ports import CohortSpec, RampCommand
from pavedroad.canary.store import PostgresDecisionSink, latest_per_rollout, recent
from pavedroad.flags import Actor, FlagSet, compile_snapshot, set_ramp
from pavedroad.flags.store import arun, history, load_state, put_flag
from pavedroad.slo.middleware import SLOMiddleware
from pavedroad.slo.recorder import Recorder
from pavedroad.slo.store import aflush_rows
from pavedroad.testing import FakeClock, TestDatabase

FLAG = "new-search"
SLICE_S = 60
SERVICE_TIME_S = 0.004  # what either path takes on the latency clock
TENANTS = [f"t{i:03d}" for i in range(200)]
POLICY = Policy(min_requests=150, min_checks=2, max_checks=30)


@pytest.fixture
async def pool(database: TestDatabase) -> AsyncIterator[AsyncConnectionPool]:
    p = AsyncConnectionPool(database.app_url, min_size=1, max_size=4, open=False)
    await p.open(wait=True)
    yield p
    await p.close()


class SearchService:
    """A user's service on the paved road: the flag picks the code path, the cohort label follows it."""

    def __init__(self, clock: FakeClock, recorder: Recorder) -> None:
        self.clock = clock
        self.latency_clock = FakeClock(start=0.0)
        self.snapshot = compile_snapshot(load_state_placeholder(), clock=clock.time)
        self.new_path_broken = False
        self.app = FastAPI()
        self.app.add_middleware(SLOMiddleware, recorder=recorder, timer=self.latency_clock.monotonic)

        @self.app.get("/search")
        async def search(request: Request) -> dict[str, str]:
            tenant = request.headers["x-tenant"]
            flag = self.snapshot.flags[FLAG]
            variant = flag.resolve({"tenant": tenant})[0] or "off"
            slo.set_cohort(variant)
            self.latency_clock.advance(SERVICE_TIME_S)  # both paths equally fast: only errors differ
            if variant == "on" and self.new_path_broken:
                raise HTTPException(status_code=500, detail="new search index unavailable")
            return {"path": variant}

    async def reload(self, pool: AsyncConnectionPool) -> None:
        """What the flags runtime does on NOTIFY: load the store and compile a new snapshot."""
        async with pool.connection() as conn, conn.transaction():
            state = await arun(conn, load_state())
        self.snapshot = compile_snapshot(state.flag_set, version=state.version, clock=self.clock.time)


def load_state_placeholder() -> FlagSet:
    from pavedroad.flags import parse_flag_set

    return parse_flag_set({"flags": {}})


async def test_failing_flag_path_is_rolled_back_while_the_service_keeps_serving(
    pool: AsyncConnectionPool,
) -> None:
    clock = FakeClock(start=1_900_000_020.0)
    definition = {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"}
    async with pool.connection() as conn, conn.transaction():
        await arun(conn, put_flag(FLAG, definition, actor=Actor.platform("alice"), reason="new search behind a flag"))
        await arun(
            conn,
            set_ramp(
                FLAG,
                "10%,25%,50%,100%",
                guard=True,
                actor=Actor.platform("alice"),
                reason="guarded rollout",
                now=clock.time(),
            ),
        )
    recorder = Recorder("search", "v1", slice_seconds=SLICE_S, time_source=clock.time)
    service = SearchService(clock, recorder)
    await service.reload(pool)
    sink = MemorySink()
    controller = Controller(
        [Rollout(FLAG, FLAG, CohortSpec("off", "on", service="search"), POLICY)],
        metrics=SloSlicesSource(pool, tenant_bin_seconds=SLICE_S, settle_s=0),  # flushed synchronously here
        ramp=FlagsRampDriver(pool, clock),
        clock=clock,
        sinks=[sink, PostgresDecisionSink(pool)],
        interval_s=SLICE_S,
    )
    statuses: dict[str, list[int]] = {"on": [], "off": []}
    transport = httpx.ASGITransport(app=service.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://search") as client:

        async def one_check() -> Action:
            for i in range(400):
                r = await client.get("/search", headers={"x-tenant": TENANTS[i % len(TENANTS)]})
                statuses["on" if r.status_code == 500 or r.json().get("path") == "on" else "off"].append(r.status_code)
            clock.advance(SLICE_S)
            async with pool.connection() as conn:
                await aflush_rows(conn, recorder.drain())
            decision = await controller.check(FLAG)
            await service.reload(pool)
            return decision.action

        # A healthy canary (10 % of 400 requests a check) holds until it has the minimum sample of 150
        # requests at the step, then promotes at the first check that has it: the fourth.
        healthy = [await one_check() for _ in range(4)]
        assert healthy == [Action.HOLD, Action.HOLD, Action.HOLD, Action.PROMOTE], [d.reason for d in sink.decisions]
        position = await controller.ramp.apply(FLAG, _read())
        promoted_to = position.step
        assert promoted_to == 1

        service.new_path_broken = True
        broken = [await one_check() for _ in range(8)]

    # The first check that sees the failing path rolls it back; the rollout then waits for a human.
    assert broken[0] is Action.ROLLBACK, [d.reason for d in sink.decisions]
    rollback = next(d for d in sink.decisions if d.action is Action.ROLLBACK)
    assert rollback.step_to == promoted_to - 1
    tripped = {r.metric for r in rollback.results if r.alarm}
    assert tripped & {"error_rate", "slo_burn"}, rollback.reason
    assert not any(m.startswith("latency") for m in tripped), rollback.reason  # decided by error counts
    # Later rollbacks, if the safe step keeps failing, go further back one safe step at a time.
    targets = [d.step_to for d in sink.decisions if d.action is Action.ROLLBACK]
    assert targets == list(range(promoted_to - 1, promoted_to - 1 - len(targets), -1))
    after = await controller.ramp.apply(FLAG, _read())
    assert after.step == targets[-1]
    assert after.guard == "red"
    assert Action.PROMOTE not in broken
    # The baseline path served every request, before and after the rollback.
    assert statuses["off"]
    assert set(statuses["off"]) == {200}
    # Every ramp change is in the flag's audit trail with the controller as author and the reason.
    async with pool.connection() as conn, conn.transaction():
        audit = await arun(conn, history(FLAG, limit=50))
    canary_entries = [a for a in audit if getattr(a, "author", None) == "pavedroad-canary"]
    assert canary_entries
    assert any("rollback" in a.reason for a in canary_entries)
    # And in the decisions table, with the numbers.
    rows = await recent(pool, rollout=FLAG, limit=100)
    assert len(rows) == len(sink.decisions)
    stored = next(r for r in rows if r["action"] == "rollback")
    alarms = [r for r in stored["results"] if r["alarm"]]
    assert alarms
    assert all(r["canary_requests"] > 0 and r["threshold_log_e"] > 0 for r in alarms)
    latest = await latest_per_rollout(pool)
    assert [r["rollout"] for r in latest] == [FLAG]
    # The guarded ramp is discovered from the flags store, as run_controller(refresh=...) does.
    discovered = await flag_rollouts(pool)
    assert [(r.flag, r.cohorts.baseline, r.cohorts.canary) for r in discovered] == [(FLAG, "off", "on")]


def _read() -> RampCommand:
    from pavedroad.canary.ports import RampCommand, RampOp

    return RampCommand(RampOp.READ)
