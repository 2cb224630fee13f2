"""The canary's extension points: one-method protocols, injected into the controller.

* ``CohortMetricsSource`` — where baseline and canary counts per time slice come from (the SLO
  recorder's slices in Postgres in production; ``MemoryMetrics`` in tests).
* ``RampDriver`` — reads and moves a flag's ramp (the flags store in production; ``MemoryRamp`` in
  tests). One method taking a command keeps the port to one verb: apply this to the ramp.
* ``DecisionSink`` — where each decision goes besides the return value: the decisions table, the
  log, the event stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from pavedroad.canary.model import Decision, SlicePair

__all__ = [
    "CohortMetricsSource",
    "CohortSpec",
    "DecisionSink",
    "RampCommand",
    "RampDriver",
    "RampOp",
    "RampPosition",
]


@dataclass(frozen=True)
class CohortSpec:
    """Which recorded requests form the baseline and the canary.

    ``dimension`` is ``variant`` (the recorder's flag-variant label, set with ``slo.set_cohort``) or
    ``version`` (the deploy version label); ``route`` optionally narrows to one route template.
    """

    baseline: str
    canary: str
    dimension: Literal["variant", "version"] = "variant"
    service: str | None = None
    route: str | None = None


@runtime_checkable
class CohortMetricsSource(Protocol):
    """Baseline/canary counts and sketches per slice in ``[since, until)``, oldest first, split by tenant."""

    async def slices(self, spec: CohortSpec, since: float, until: float) -> list[SlicePair]: ...


@dataclass(frozen=True)
class RampPosition:
    """Where a flag's ramp stands: step index (-1 = not started), its percent, the last index, and
    the step the guard last confirmed (``safe_step``), the guard colour and when the step began."""

    flag: str
    step: int
    percent: float
    last_step: int
    safe_step: int
    guard: str | None
    since: float
    hold_s: float | None = None


class RampOp(StrEnum):
    READ = "read"  # no change; return the position
    MOVE = "move"  # pin ``step`` (and ``safe_step``), set the guard
    GUARD = "guard"  # set the guard only


@dataclass(frozen=True)
class RampCommand:
    """One change to a ramp, with who and why (both land in the flag's audit trail)."""

    op: RampOp
    step: int | None = None
    safe_step: int | None = None
    guard: Literal["green", "red"] | None = None
    author: str = "canary"
    reason: str = ""


@runtime_checkable
class RampDriver(Protocol):
    """Apply a command to flag ``flag``'s ramp and return the position after it."""

    async def apply(self, flag: str, command: RampCommand) -> RampPosition: ...


@runtime_checkable
class DecisionSink(Protocol):
    """Receive every decision (record it, log it, publish it)."""

    async def emit(self, decision: Decision) -> None: ...
