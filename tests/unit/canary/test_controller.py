"""The controller with a fake clock and in-memory ports: it promotes healthy canaries, holds without
traffic, and rolls a failing flag back to its last safe step while the service keeps serving."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from pavedroad.canary import Action, CohortCounts, Policy
from pavedroad.canary.controller import Controller, Rollout, run_controller
from pavedroad.canary.memory import MemoryMetrics, MemoryRamp, MemorySink
from pavedroad.canary.ports import CohortSpec, RampCommand, RampOp
from pavedroad.testing import FakeClock

SLICE = 60.0
STEPS = (1.0, 5.0, 25.0, 50.0, 100.0)
POLICY = Policy(min_requests=300, min_checks=2, max_checks=10)


def make(dry_run: bool = False) -> tuple[FakeClock, MemoryMetrics, MemoryRamp, MemorySink, Controller]:
    clock = FakeClock(start=1_800_000_000.0)
    metrics = MemoryMetrics(SLICE)
    ramp = MemoryRamp(now=clock)
    ramp.define("new-search", STEPS, step=0)
    sink = MemorySink()
    rollout = Rollout("new-search", "new-search", CohortSpec("off", "on"), POLICY, dry_run=dry_run)
    controller = Controller([rollout], metrics=metrics, ramp=ramp, clock=clock, sinks=[sink], interval_s=SLICE)
    return clock, metrics, ramp, sink, controller


def serve(
    metrics: MemoryMetrics,
    ramp: MemoryRamp,
    clock: FakeClock,
    rng: np.random.Generator,
    *,
    total: int = 4000,
    canary_error: float = 0.002,
    tenant_split: dict[str, float] | None = None,
) -> None:
    """One slice of traffic: the flag's percent decides who takes the new code path (which may fail)."""
    share = ramp.percent("new-search") / 100.0
    n_can = int(rng.binomial(total, share))
    n_base = total - n_can
    for label, n, p in (("off", n_base, 0.002), ("on", n_can, canary_error)):
        lat = rng.lognormal(np.log(0.05), 0.4, size=n)
        keys, counts = np.unique(np.ceil(np.log(lat) / np.log(1.01 / 0.99)).astype(int), return_counts=True)
        hist = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        errors = int(rng.binomial(n, p)) if n else 0
        if tenant_split:
            for tenant, frac in tenant_split.items():
                tn = int(n * frac)
                te = int(rng.binomial(tn, p if tenant == "big" else 0.002)) if tn else 0
                metrics.add(clock.time(), label, CohortCounts(tn, te, {}), tenant=tenant)
            metrics.add(clock.time(), label, CohortCounts(0, 0, hist))
        else:
            metrics.add(clock.time(), label, CohortCounts(n, errors, hist))


async def drive(
    clock: FakeClock,
    metrics: MemoryMetrics,
    ramp: MemoryRamp,
    controller: Controller,
    rng: np.random.Generator,
    *,
    checks: int,
    **traffic: object,
) -> list[Action]:
    actions = []
    for _ in range(checks):
        serve(metrics, ramp, clock, rng, **traffic)  # type: ignore[arg-type]
        clock.advance(SLICE)
        actions.append((await controller.check("new-search")).action)
    return actions


async def test_healthy_canary_is_promoted_step_by_step_to_100_percent() -> None:
    clock, metrics, ramp, sink, controller = make()
    rng = np.random.default_rng(1)
    actions = await drive(clock, metrics, ramp, controller, rng, checks=40)
    assert Action.ROLLBACK not in actions
    assert ramp.percent("new-search") == 100.0
    promotions = [a for a in ramp.audit if a.op == "move"]
    assert [a.step_to for a in promotions] == [1, 2, 3, 4]
    assert all(a.author == "pavedroad-canary" and a.reason for a in promotions)
    assert sink.decisions[-1].reason.startswith("[complete]")
    assert ramp.ramps["new-search"].guard == "green"


async def test_failing_flag_path_is_rolled_back_to_the_last_safe_step() -> None:
    """The new code path starts failing at 25%: the ramp returns to 5%, guard red, and stays there."""
    clock, metrics, ramp, sink, controller = make()
    rng = np.random.default_rng(2)
    await drive(clock, metrics, ramp, controller, rng, checks=12)  # healthy: climbs past 5%
    assert ramp.ramps["new-search"].step >= 2
    step_before = ramp.ramps["new-search"].step
    actions = await drive(clock, metrics, ramp, controller, rng, checks=10, canary_error=0.05)
    assert Action.ROLLBACK in actions
    rollback = next(d for d in sink.decisions if d.action is Action.ROLLBACK)
    assert rollback.step_to == step_before - 1
    error = next(r for r in rollback.results if r.metric == "error_rate")
    assert error.alarm
    assert (error.ratio or 0) > 5
    assert (error.lower or 0) > 1.0
    assert "error_rate" in rollback.reason
    # After the rollback it never promotes again by itself, and the service kept serving throughout.
    after = actions[actions.index(Action.ROLLBACK) + 1 :]
    assert Action.PROMOTE not in after
    assert ramp.ramps["new-search"].guard == "red"
    assert ramp.percent("new-search") < STEPS[step_before]


async def test_second_rollback_goes_one_safe_step_further_back() -> None:
    """First in, last out: rollbacks unwind the safe steps one at a time."""
    clock, metrics, ramp, sink, controller = make()
    rng = np.random.default_rng(3)
    await drive(clock, metrics, ramp, controller, rng, checks=14)
    start = ramp.ramps["new-search"].step
    await drive(clock, metrics, ramp, controller, rng, checks=30, canary_error=0.2)
    targets = [d.step_to for d in sink.decisions if d.action is Action.ROLLBACK]
    assert len(targets) >= 2
    assert targets[:2] == [start - 1, start - 2]


async def test_no_traffic_holds_and_never_promotes_then_pauses_for_a_human() -> None:
    clock, _, ramp, sink, controller = make()
    for _ in range(POLICY.max_checks + 2):
        clock.advance(SLICE)
        await controller.check("new-search")
    actions = [d.action for d in sink.decisions]
    assert Action.PROMOTE not in actions
    assert actions[0] is Action.HOLD
    assert actions[-1] is Action.PAUSE
    assert ramp.ramps["new-search"].step == 0
    assert "minimum sample" in sink.decisions[0].reason


async def test_dry_run_records_decisions_but_never_moves_the_ramp() -> None:
    clock, metrics, ramp, sink, controller = make(dry_run=True)
    rng = np.random.default_rng(4)
    await drive(clock, metrics, ramp, controller, rng, checks=6, canary_error=0.2)
    assert any(d.action is Action.ROLLBACK and d.dry_run for d in sink.decisions)
    assert ramp.audit == []
    assert ramp.ramps["new-search"].step == 0


async def test_one_large_tenant_hurt_stops_the_rollout() -> None:
    """Errors only for the big tenant's canary traffic: the per-tenant burn-rate gate rolls back."""
    clock, metrics, ramp, sink, controller = make()
    rng = np.random.default_rng(5)
    await drive(clock, metrics, ramp, controller, rng, checks=12)
    split = {"big": 0.6, "small-a": 0.2, "small-b": 0.2}
    await drive(clock, metrics, ramp, controller, rng, checks=10, canary_error=0.3, tenant_split=split)
    rollback = next(d for d in sink.decisions if d.action is Action.ROLLBACK)
    tripped = [r.metric for r in rollback.results if r.alarm]
    assert "tenant_burn:big" in tripped
    assert not any(m.startswith("tenant_burn:small") for m in tripped)


async def test_pause_and_resume_by_a_human() -> None:
    clock, metrics, ramp, sink, controller = make()
    rng = np.random.default_rng(6)
    controller.pause("new-search")
    actions = await drive(clock, metrics, ramp, controller, rng, checks=5)
    assert set(actions) == {Action.PAUSE}
    controller.resume("new-search")  # evidence and the step's sample restart from now
    actions = await drive(clock, metrics, ramp, controller, rng, checks=12)
    assert Action.PROMOTE in actions, [d.reason for d in sink.decisions[-5:]]


async def test_ramp_moved_by_someone_else_starts_a_new_step() -> None:
    clock, metrics, ramp, sink, controller = make()
    rng = np.random.default_rng(7)
    await drive(clock, metrics, ramp, controller, rng, checks=1)
    await ramp.apply("new-search", RampCommand(RampOp.MOVE, step=3, author="alice", reason="manual"))
    decision = (await drive(clock, metrics, ramp, controller, rng, checks=1))[0]
    assert decision is Action.HOLD
    assert sink.decisions[-1].checks_at_step == 1


async def test_run_controller_is_an_asyncio_task_driven_by_the_injected_clock() -> None:
    clock, _, _, sink, controller = make()
    stop = asyncio.Event()
    task = run_controller(controller, stop=stop)
    for _ in range(50):
        await asyncio.sleep(0)
        if len(sink.decisions) >= 3:
            break
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert len(sink.decisions) >= 3
    assert clock.time() >= 1_800_000_000.0 + 3 * SLICE


async def test_unknown_rollout_is_a_not_found_error() -> None:
    from pavedroad.errors import NotFound

    _, _, _, _, controller = make()
    with pytest.raises(NotFound):
        await controller.check("nope")


def test_guarded_ramps_of_the_flag_set_become_rollouts_and_sync_keeps_state() -> None:
    from pavedroad.canary.discover import guarded_rollouts
    from pavedroad.flags import parse_flag_set

    def flag(**meta: object) -> dict[str, object]:
        return {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off", "metadata": meta}

    flag_set = parse_flag_set(
        {
            "flags": {
                "guarded": flag(**{"pavedroad.ramp": "10%,100%", "pavedroad.guard": "green"}),
                "unguarded": flag(**{"pavedroad.ramp": "10%,100%"}),
                "plain": flag(),
            }
        }
    )
    rollouts = guarded_rollouts(flag_set)
    assert [(r.name, r.cohorts.baseline, r.cohorts.canary) for r in rollouts] == [("guarded", "off", "on")]

    clock, _, _, _, controller = make()
    controller.states["new-search"].paused = True
    controller.sync([*rollouts, controller.rollouts["new-search"]])
    assert set(controller.rollouts) == {"guarded", "new-search"}
    assert controller.states["new-search"].paused  # known rollouts keep their state
    controller.sync(rollouts)
    assert set(controller.rollouts) == {"guarded"}
    assert clock.time() > 0


async def test_one_broken_rollout_does_not_stop_the_others_and_status_shows_each() -> None:
    *_, controller = make()
    controller.register(Rollout("ghost", "no-such-flag", CohortSpec("off", "on"), POLICY))
    decisions = await controller.check_all()
    assert [d.rollout for d in decisions] == ["new-search"]  # "ghost" failed (no ramp) and was logged
    status = {s["rollout"]: s for s in controller.status()}
    assert status["new-search"]["last_decision"]["action"] == "hold"
    assert status["new-search"]["last_decision"]["rule"] == "sample"
    assert status["ghost"]["last_decision"] is None
