"""Re-planning after a calendar change or a declined invite: move as few sessions as possible.

``replan`` applies the changes to the request and solves it again with one more objective level ranked
first, the number of sessions whose time, panel or room changes; the usual levels then order the
schedules that move equally few. Triggering it from a calendar event is the workflow engine's job
(issue #21); until that lands, callers invoke ``replan`` directly.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from pavedroad.scheduling.explain import explain
from pavedroad.scheduling.formulation import Formulation
from pavedroad.scheduling.model import Busy, Id, SchedulingInputError, SchedulingRequest
from pavedroad.scheduling.result import Schedule, SolveOptions
from pavedroad.scheduling.solver import lexicographic

__all__ = ["Changes", "Decline", "replan"]


class Decline(BaseModel):
    """``interviewer`` will not sit in ``session`` of ``candidate``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    candidate: Id
    session: Id
    interviewer: Id


class Changes(BaseModel):
    """What happened since ``previous`` was planned: new busy times per interviewer, declined invites."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    busy: dict[Id, tuple[Busy, ...]] = Field(default_factory=dict, max_length=1000)
    declined: tuple[Decline, ...] = Field(default=(), max_length=1000)


def apply(request: SchedulingRequest, changes: Changes) -> SchedulingRequest:
    """``request`` with the new busy times added; a decline becomes busy time over the declined session."""
    known = {p.id for p in request.interviewers}
    unknown = sorted(set(changes.busy) - known | {d.interviewer for d in changes.declined} - known)
    if unknown:
        raise SchedulingInputError(f"changes name unknown interviewer(s): {', '.join(unknown)}")
    return request.model_copy(
        update={
            "interviewers": tuple(
                p.model_copy(update={"busy": (*p.busy, *changes.busy.get(p.id, ()))}) for p in request.interviewers
            )
        }
    )


def replan(
    request: SchedulingRequest, previous: Schedule, changes: Changes, options: SolveOptions | None = None
) -> Schedule:
    """A schedule for ``request`` after ``changes`` that moves the fewest sessions of ``previous``."""
    options = options or SolveOptions()
    started = time.monotonic()
    updated = apply(request, changes)
    form = Formulation(updated)
    declined = {(d.candidate, d.session, d.interviewer) for d in changes.declined}
    for sv in form.sessions:
        for pid, (lit, _role) in sv.seats.items():
            if (sv.candidate.id, sv.session.id, pid) in declined:
                form.model.add(lit == 0)
    schedule = lexicographic(form, options, {"moved_sessions": form.keep(previous)})
    if schedule is None:
        return Schedule(status="infeasible", solver="cp-sat", placements=(), explanation=explain(updated, options))
    return schedule.model_copy(update={"wall_ms": round((time.monotonic() - started) * 1000, 3)})
