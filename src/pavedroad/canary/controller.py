"""The controller: every interval, judge each guarded rollout and move its flag's ramp accordingly.

Guarantees: a check reads the ramp, the cohorts' slices since the evidence began, runs ``analyse``
and ``decide`` (pure), then applies the decision through the ``RampDriver`` (never in dry-run) and
hands it to every ``DecisionSink``. Promotion pins the next step and marks the step it leaves as safe;
a rollback returns to the last safe step, first in, last out (a second rollback goes one safe step
further back), sets the guard red and leaves the rollout paused for a human: it never re-promotes on
its own. While the controller holds or pauses, the guard is red so the flag's own schedule cannot run
ahead of the evidence. All time comes from the injected clock; tests drive it with ``FakeClock``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from pavedroad.canary.analysis import analyse
from pavedroad.canary.decide import StepView, decide
from pavedroad.canary.model import Action, Decision, Policy
from pavedroad.canary.ports import CohortMetricsSource, CohortSpec, DecisionSink, RampCommand, RampDriver, RampOp
from pavedroad.clock import Clock
from pavedroad.errors import NotFound

__all__ = ["Controller", "Rollout", "RolloutState", "run_controller"]

_log = structlog.get_logger("pavedroad.canary")


@dataclass(frozen=True)
class Rollout:
    """A guarded rollout: the flag whose ramp moves, the cohorts compared, the policy, dry-run or not."""

    name: str
    flag: str
    cohorts: CohortSpec
    policy: Policy = field(default_factory=Policy)
    dry_run: bool = False


@dataclass
class RolloutState:
    """What the controller remembers between checks (rebuildable from the ramp and the decisions)."""

    evidence_since: float
    step: int | None = None
    step_since: float = 0.0
    checks_at_step: int = 0
    safe_stack: list[int] = field(default_factory=list)
    paused: bool = False
    last: Decision | None = None


class Controller:
    """Judges registered rollouts; ``check`` one, ``check_all`` every one, ``run`` in a loop."""

    def __init__(
        self,
        rollouts: Sequence[Rollout],
        *,
        metrics: CohortMetricsSource,
        ramp: RampDriver,
        clock: Clock,
        sinks: Sequence[DecisionSink] = (),
        interval_s: float = 60.0,
        author: str = "pavedroad-canary",
    ) -> None:
        self.metrics, self.ramp, self.clock, self.sinks = metrics, ramp, clock, list(sinks)
        self.interval_s, self.author = interval_s, author
        self.rollouts: dict[str, Rollout] = {}
        self.states: dict[str, RolloutState] = {}
        for r in rollouts:
            self.register(r)

    def register(self, rollout: Rollout) -> None:
        """Start guarding ``rollout``; its evidence starts now."""
        self.rollouts[rollout.name] = rollout
        self.states[rollout.name] = RolloutState(evidence_since=self.clock.time())

    def _get(self, name: str) -> tuple[Rollout, RolloutState]:
        if name not in self.rollouts:
            known = ", ".join(sorted(self.rollouts)) or "none"
            raise NotFound(f"no guarded rollout named {name!r}", code="C404", hint=f"known rollouts: {known}")
        return self.rollouts[name], self.states[name]

    def sync(self, rollouts: Sequence[Rollout]) -> None:
        """Guard exactly ``rollouts``: new ones start now, known ones keep their state, others stop."""
        wanted = {r.name: r for r in rollouts}
        for name in list(self.rollouts):
            if name not in wanted:
                del self.rollouts[name], self.states[name]
        for name, rollout in wanted.items():
            if name in self.rollouts:
                self.rollouts[name] = rollout  # a changed policy applies from the next check
            else:
                self.register(rollout)

    def pause(self, name: str) -> None:
        """A human pauses: the next checks decide PAUSE (harm still rolls back)."""
        self._get(name)[1].paused = True

    def resume(self, name: str) -> None:
        """A human resumes after a pause or a rollback: evidence restarts from now."""
        _, state = self._get(name)
        state.paused = False
        state.evidence_since = self.clock.time()
        state.checks_at_step = 0

    async def check(self, name: str) -> Decision:
        """One check of one rollout: measure, decide, apply, record."""
        rollout, state = self._get(name)
        now = self.clock.time()
        pos = await self.ramp.apply(rollout.flag, RampCommand(RampOp.READ))
        if state.step != pos.step:  # first check, or someone else moved the ramp: a new step
            state.step, state.step_since, state.checks_at_step = pos.step, pos.since, 0
        state.checks_at_step += 1
        pairs = await self.metrics.slices(rollout.cohorts, state.evidence_since, now)
        results = analyse(pairs, rollout.policy)
        at_step = [p for p in pairs if p.start >= state.step_since]
        safe = state.safe_stack[-1] if state.safe_stack else min(pos.safe_step, max(pos.step - 1, -1))
        view = StepView(
            rollout=rollout.name,
            step=pos.step,
            last_step=pos.last_step,
            safe_step=safe,
            checks_at_step=state.checks_at_step,
            baseline_requests_at_step=sum(p.baseline.requests for p in at_step),
            canary_requests_at_step=sum(p.canary.requests for p in at_step),
            paused=state.paused,
            hold_remaining_s=(pos.hold_s - (now - pos.since)) if pos.hold_s else 0.0,
        )
        decision = decide(view, results, rollout.policy, now=now, dry_run=rollout.dry_run)
        if not rollout.dry_run:
            await self._apply(rollout, state, decision, pos.guard)
        state.last = decision
        _log.info(
            "canary decision",
            rollout=rollout.name,
            flag=rollout.flag,
            action=decision.action.value,
            step_from=decision.step_from,
            step_to=decision.step_to,
            dry_run=decision.dry_run,
            because=decision.reason,  # not `reason`: the redactor treats that key as personal data
        )
        for sink in self.sinks:
            await sink.emit(decision)
        return decision

    async def _apply(self, rollout: Rollout, state: RolloutState, d: Decision, guard: str | None) -> None:
        reason = f"canary {d.action.value}: {d.reason}"[:1000]
        if d.action is Action.PROMOTE and d.step_to != d.step_from:
            state.safe_stack.append(d.step_from)
            cmd = RampCommand(RampOp.MOVE, d.step_to, d.step_from, "green", self.author, reason)
            await self.ramp.apply(rollout.flag, cmd)
            state.step, state.step_since, state.checks_at_step = d.step_to, self.clock.time(), 0
        elif d.action is Action.ROLLBACK:
            if state.safe_stack:
                state.safe_stack.pop()
            below = state.safe_stack[-1] if state.safe_stack else -1
            cmd = RampCommand(RampOp.MOVE, d.step_to, below, "red", self.author, reason)
            await self.ramp.apply(rollout.flag, cmd)
            now = self.clock.time()
            state.step, state.step_since, state.checks_at_step = d.step_to, now, 0
            state.paused, state.evidence_since = True, now  # fresh evidence at the safe step
        else:
            want = "green" if d.rule == "complete" else "red"
            if guard != want:
                cmd = RampCommand(
                    RampOp.GUARD, guard="green" if want == "green" else "red", author=self.author, reason=reason
                )
                await self.ramp.apply(rollout.flag, cmd)

    async def check_all(self) -> list[Decision]:
        """Check every rollout; the later-registered first, so rollbacks unwind last in, first out."""
        out = []
        for name in reversed(list(self.rollouts)):
            try:
                out.append(await self.check(name))
            except Exception as exc:  # noqa: BLE001 - one broken rollout must not stop the others' guard
                _log.error("canary check failed", rollout=name, error=str(exc)[:500], error_type=type(exc).__name__)
        return out

    async def run(
        self,
        *,
        stop: asyncio.Event | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        refresh: Callable[[], Awaitable[Sequence[Rollout]]] | None = None,
    ) -> None:
        """Check every ``interval_s`` until ``stop`` is set (``sleep`` defaults to the clock's ``asleep``).

        ``refresh``, when given, returns the rollouts to guard before each round (see ``sync``).
        """
        clock_sleep = getattr(self.clock, "asleep", None)

        async def pause(seconds: float) -> None:
            if sleep is not None:
                await sleep(seconds)
            elif clock_sleep is not None:
                await clock_sleep(seconds)
                await asyncio.sleep(0)  # a fake clock jumps; still let other tasks run
            else:
                await asyncio.sleep(seconds)

        while stop is None or not stop.is_set():
            if refresh is not None:
                try:
                    self.sync(await refresh())
                except Exception as exc:  # noqa: BLE001 - keep guarding the known rollouts
                    _log.error("canary refresh failed", error=str(exc)[:500], error_type=type(exc).__name__)
            await self.check_all()
            await pause(self.interval_s)

    def status(self) -> list[dict[str, Any]]:
        """Each rollout's cohorts, position and last decision, for ``status`` views."""
        out = []
        for r in self.rollouts.values():
            state = self.states[r.name]
            out.append(
                {
                    "rollout": r.name,
                    "flag": r.flag,
                    "baseline": r.cohorts.baseline,
                    "canary": r.cohorts.canary,
                    "dimension": r.cohorts.dimension,
                    "dry_run": r.dry_run,
                    "step": state.step,
                    "paused": state.paused,
                    "safe_steps": list(state.safe_stack),
                    "last_decision": None if state.last is None else state.last.to_dict(),
                }
            )
        return out


def run_controller(
    controller: Controller,
    *,
    stop: asyncio.Event | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    refresh: Callable[[], Awaitable[Sequence[Rollout]]] | None = None,
) -> asyncio.Task[None]:
    """Start ``controller.run`` as an asyncio task (for ``pavedroad demo`` and the workers)."""
    return asyncio.create_task(
        controller.run(stop=stop, sleep=sleep, refresh=refresh), name="pavedroad-canary-controller"
    )
