"""What the schedulers answer: placed sessions with their seats, the objectives, and, when no schedule
exists, an explanation a recruiter can act on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ConflictMember",
    "Explanation",
    "Objectives",
    "Placement",
    "Relaxation",
    "Schedule",
    "Seat",
    "SolveOptions",
]

Role = Literal["lead", "shadow", "reverse_shadow"]
Status = Literal["optimal", "feasible", "greedy", "infeasible", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SolveOptions(_Frozen):
    """Solver knobs. Equal input, seed and workers give an equal schedule as long as the deterministic
    budget, not the wall-clock limit, is what stops the search (the budget is in CP-SAT's deterministic
    seconds, which do not depend on machine load)."""

    time_limit_s: float = 10.0
    deterministic_limit: float = 60.0
    seed: int = 0
    workers: int = 1


class Seat(_Frozen):
    """An interviewer in a session: leading it, or a trainee shadowing or reverse-shadowing it."""

    interviewer: str
    role: Role


class Placement(_Frozen):
    """One session at one time with its seats (and room)."""

    candidate: str
    session: str
    start: datetime
    end: datetime
    start_slot: int
    duration_slots: int
    seats: tuple[Seat, ...]
    room: str | None = None


class Objectives(_Frozen):
    """The lexicographic objectives, most important first (all minimised).

    * ``unscheduled_sessions``: sessions of candidates left out (batch requests only; otherwise 0).
    * ``finish_slots``: sum over candidates of the slot at which their last session ends (earliest).
    * ``load_cost``: sum over interviewers of L·(L+1)/2 for their interviews L in the horizon, booked
      ones included: each extra interview costs its owner's running count, so work goes to the least
      loaded (load balance).
    * ``new_interview_days``: interviewer-days that gain their first interview (context switches).
    * ``moved_sessions``: only when re-planning, sessions whose time or panel changed (ranked first).
    """

    unscheduled_sessions: int
    finish_slots: int
    load_cost: int
    new_interview_days: int
    moved_sessions: int = 0


class ConflictMember(_Frozen):
    """One constraint group in a conflict: its kind, whom it concerns, and the sentence for it."""

    kind: str
    subject: str
    text: str


class Relaxation(_Frozen):
    """Relaxing the listed members (all of one kind) would allow a schedule, whose first day is given."""

    kind: str
    subjects: tuple[str, ...]
    text: str
    earliest: date | None


class Explanation(_Frozen):
    """Why nothing fits: a minimal set of conflicting constraint groups (dropping any one of them makes
    the request feasible), in words, and what relaxing each kind would allow."""

    headline: str
    conflict: tuple[ConflictMember, ...]
    relaxations: tuple[Relaxation, ...]
    minimal: bool


class Schedule(_Frozen):
    """A solver's answer: the placements, the objective values, and how sure it is.

    ``gap`` is the relative gap between the best schedule found and the proven bound of the first
    objective level not proven optimal (0 when every level is optimal)."""

    status: Status
    solver: Literal["cp-sat", "greedy"]
    placements: tuple[Placement, ...]
    unscheduled: tuple[str, ...] = ()
    objectives: Objectives | None = None
    gap: float = 0.0
    wall_ms: float = 0.0
    explanation: Explanation | None = None
