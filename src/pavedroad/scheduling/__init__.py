"""Interview scheduling: place a candidate's sessions with qualified, free interviewers, earliest first.

A request (``SchedulingRequest``) lists candidates with their sessions and availability, and interviewers
with pools, training, calendars and load limits. ``solve`` answers with CP-SAT (objectives in
lexicographic order: earliest, then load balance, then fewest new interview days), ``greedy`` is the
first-fit baseline, ``explain`` names a minimal set of conflicting constraints when nothing fits, and
``replan`` moves as few sessions as possible after a change. ``docs/scheduling.md`` is the guide.

    >>> from pavedroad.scheduling import parse_request, solve
    >>> solve(parse_request(request_json)).placements  # doctest: +SKIP
"""

from pavedroad.scheduling.explain import explain
from pavedroad.scheduling.generate import generate_request
from pavedroad.scheduling.greedy import greedy, measure
from pavedroad.scheduling.model import (
    SLOT_MINUTES,
    Busy,
    Candidate,
    Interval,
    Interviewer,
    Order,
    Room,
    SchedulingInputError,
    SchedulingRequest,
    Session,
    Training,
    TrainingPolicy,
    WorkingHours,
    parse_request,
)
from pavedroad.scheduling.replan import Changes, Decline, replan
from pavedroad.scheduling.result import (
    ConflictMember,
    Explanation,
    Objectives,
    Placement,
    Relaxation,
    Schedule,
    Seat,
    SolveOptions,
)
from pavedroad.scheduling.solver import solve

__all__ = [
    "SLOT_MINUTES",
    "Busy",
    "Candidate",
    "Changes",
    "ConflictMember",
    "Decline",
    "Explanation",
    "Interval",
    "Interviewer",
    "Objectives",
    "Order",
    "Placement",
    "Relaxation",
    "Room",
    "Schedule",
    "SchedulingInputError",
    "SchedulingRequest",
    "Seat",
    "Session",
    "SolveOptions",
    "Training",
    "TrainingPolicy",
    "WorkingHours",
    "explain",
    "generate_request",
    "greedy",
    "measure",
    "parse_request",
    "replan",
    "solve",
]
