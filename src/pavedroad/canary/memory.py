"""In-memory ports for tests and the simulator: metrics you append, a ramp you can read, sinks you inspect.

``MemoryMetrics`` keeps per-slice counts per cohort label (and tenant), exactly what the SLO recorder
would have flushed; ``MemoryRamp`` keeps a ramp (steps, pinned step, safe step, guard) and an audit list
of every change with author and reason; ``MemorySink`` keeps every decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pavedroad.canary.model import CohortCounts, Decision, SlicePair, merge_counts
from pavedroad.canary.ports import CohortSpec, RampCommand, RampOp, RampPosition
from pavedroad.errors import NotFound

__all__ = ["MemoryMetrics", "MemoryRamp", "MemorySink", "RampAudit"]


class MemoryMetrics:
    """A ``CohortMetricsSource`` over counts added by hand: ``add(slice_start, label, counts, tenant=)``."""

    def __init__(self, slice_seconds: float = 60.0) -> None:
        self.slice_seconds = slice_seconds
        # slice start -> label -> tenant -> counts
        self._data: dict[float, dict[str, dict[str, CohortCounts]]] = defaultdict(lambda: defaultdict(dict))

    def add(self, at: float, label: str, counts: CohortCounts, *, tenant: str = "") -> None:
        """Record ``counts`` for cohort ``label`` in the slice containing ``at``."""
        start = at - at % self.slice_seconds
        cell = self._data[start][label]
        cell[tenant] = merge_counts(cell.get(tenant, CohortCounts()), counts)

    async def slices(self, spec: CohortSpec, since: float, until: float) -> list[SlicePair]:
        out = []
        for start in sorted(self._data):
            if not since <= start < until or start + self.slice_seconds > until:
                continue  # only whole slices: a slice still filling would bias the comparison
            labels = self._data[start]
            base, can = labels.get(spec.baseline, {}), labels.get(spec.canary, {})
            tenants = {
                t: (base.get(t, CohortCounts()), can.get(t, CohortCounts())) for t in sorted(set(base) | set(can)) if t
            }
            out.append(
                SlicePair(
                    start,
                    self.slice_seconds,
                    _total(base.values()),
                    _total(can.values()),
                    tenants,
                )
            )
        return out


def _total(items: Iterable[CohortCounts]) -> CohortCounts:
    total = CohortCounts()
    for c in items:
        total = merge_counts(total, c)
    return total


@dataclass(frozen=True)
class RampAudit:
    """One change to a ramp, as the flags audit trail would hold it."""

    flag: str
    op: str
    step_from: int
    step_to: int
    guard: str | None
    author: str
    reason: str
    at: float


@dataclass
class _Ramp:
    percents: tuple[float, ...]
    step: int = -1
    safe_step: int = -1
    guard: str | None = None
    since: float = 0.0
    holds: tuple[float | None, ...] = ()


@dataclass
class MemoryRamp:
    """A ``RampDriver`` over in-memory ramps; ``percent(flag)`` is what evaluation would serve."""

    now: object = None  # a Clock, to stamp ``since``; optional
    ramps: dict[str, _Ramp] = field(default_factory=dict)
    audit: list[RampAudit] = field(default_factory=list)

    def define(
        self, flag: str, percents: Sequence[float], *, step: int = 0, holds: Sequence[float | None] = ()
    ) -> None:
        """Create a ramp over ``percents`` pinned at ``step``."""
        self.ramps[flag] = _Ramp(tuple(percents), step=step, since=self._time(), holds=tuple(holds))

    def percent(self, flag: str) -> float:
        r = self.ramps[flag]
        return r.percents[r.step] if r.step >= 0 else 0.0

    def _time(self) -> float:
        clock = self.now
        return float(clock.time()) if clock is not None and hasattr(clock, "time") else 0.0

    def _position(self, flag: str, r: _Ramp) -> RampPosition:
        hold = r.holds[r.step] if 0 <= r.step < len(r.holds) else None
        return RampPosition(flag, r.step, self.percent(flag), len(r.percents) - 1, r.safe_step, r.guard, r.since, hold)

    async def apply(self, flag: str, command: RampCommand) -> RampPosition:
        r = self.ramps.get(flag)
        if r is None:
            raise NotFound(f"no ramp for flag {flag!r}", code="C404", hint="define the flag's ramp first")
        before = r.step
        if command.op is RampOp.MOVE and command.step is not None:
            r.step = max(-1, min(command.step, len(r.percents) - 1))
            r.since = self._time()
            if command.safe_step is not None:
                r.safe_step = command.safe_step
        if command.op in (RampOp.MOVE, RampOp.GUARD) and command.guard is not None:
            r.guard = command.guard
        if command.op is not RampOp.READ:
            self.audit.append(
                RampAudit(flag, command.op.value, before, r.step, r.guard, command.author, command.reason, self._time())
            )
        return self._position(flag, r)


@dataclass
class MemorySink:
    """A ``DecisionSink`` that keeps every decision, newest last."""

    decisions: list[Decision] = field(default_factory=list)

    async def emit(self, decision: Decision) -> None:
        self.decisions.append(decision)

    def by_rollout(self) -> Mapping[str, list[Decision]]:
        out: dict[str, list[Decision]] = defaultdict(list)
        for d in self.decisions:
            out[d.rollout].append(d)
        return out

    def last(self, rollout: str) -> Decision | None:
        found = [d for d in self.decisions if d.rollout == rollout]
        return found[-1] if found else None
