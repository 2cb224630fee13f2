"""The hiring funnel: how applications walk a job's interview plan, column-wise with numpy.

Each application draws, for every stage of its job's plan, whether it advances (a per-stage-type
conversion rate, scaled at application review by the source) and how long it spends there (log-normal
in days). Walking stops at the first failure or at ``hired``. Then the clock is applied: nothing happens
after the application's cutoff (the reference date, or the job's ``closed_at``).

Guarantees for every application:

- the fraction reaching stage position *k* never increases with *k* (a walk only moves forward);
- ``stage entry times`` strictly increase along the plan, and every reported time is ≤ its cutoff;
- status ``hired`` ⇔ ``hired_at`` set (the hired stage was entered); ``archived`` ⇔ ``archived_at``
  set (the walk ended before the cutoff, or the job closed while it was in progress); else ``active``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pavedroad.recruiting.generator.plan import DAY

__all__ = [
    "ADVANCE",
    "ARCHIVE_REASONS",
    "MAX_STAGES",
    "MEDIAN_DAYS",
    "STAGE_NAMES",
    "STAGE_TYPES",
    "STATUSES",
    "Walk",
    "walk",
]

# Stage types in their canonical order; a plan is application_review, a subset of the middle, offer, hired.
STAGE_TYPES = ("application_review", "phone_screen", "assessment", "onsite", "reference_check", "offer", "hired")
STAGE_NAMES = (
    "Application Review",
    "Phone Screen",
    "Take-home Assessment",
    "Onsite",
    "Reference Check",
    "Offer",
    "Hired",
)
MAX_STAGES = len(STAGE_TYPES)
OFFER, HIRED = 5, 6
# Probability of moving on from a stage of each type (offer: the candidate accepts).
ADVANCE = np.array([0.15, 0.45, 0.50, 0.35, 0.90, 0.80, 0.0])
# Median days spent in a stage of each type; time in stage is log-normal around it.
MEDIAN_DAYS = np.array([6.0, 6.0, 7.0, 9.0, 4.0, 5.0, 1.0])
SIGMA = 0.75

STATUSES = ("active", "archived", "hired")
ARCHIVE_REASONS = ("rejected_by_us", "withdrew", "position_filled", "no_response", "duplicate", "other")
# Why a walk that failed before the offer stage ended (codes into ARCHIVE_REASONS, with weights).
_REJECT_CODES = np.array([0, 1, 3, 4, 5])
_REJECT_WEIGHTS = np.array([0.64, 0.17, 0.11, 0.03, 0.05])
NO_TIME = np.int64(-1)


@dataclass(frozen=True)
class Walk:
    """The outcome of each application (arrays of length A; ``entered`` and ``stay`` are A x MAX_STAGES)."""

    depth: np.ndarray  # position where the walk ends (hired, or the stage it failed at)
    current: np.ndarray  # position of the current stage at the cutoff
    entered: np.ndarray  # entry time of each position (seconds); meaningful up to ``current``
    stay: np.ndarray  # seconds spent at each position
    status: np.ndarray  # codes into STATUSES
    reason: np.ndarray  # codes into ARCHIVE_REASONS, -1 when not archived
    hired_at: np.ndarray  # seconds, -1 when not hired
    archived_at: np.ndarray  # seconds, -1 when not archived
    last_activity_at: np.ndarray


def walk(
    gen: np.random.Generator,
    *,
    types: np.ndarray,
    stages: np.ndarray,
    applied_at: np.ndarray,
    cutoff: np.ndarray,
    job_closed: np.ndarray,
    review_factor: np.ndarray,
) -> Walk:
    """Walk ``A`` applications; ``types`` is A x MAX_STAGES stage-type codes (-1 past ``stages``)."""
    count = len(stages)
    positions = np.arange(MAX_STAGES)
    safe_types = np.where(types < 0, HIRED, types)
    chance = ADVANCE[safe_types]
    chance[:, 0] = np.minimum(chance[:, 0] * review_factor, 0.95)
    moves = (gen.random((count, MAX_STAGES)) < chance) & (positions < (stages - 1)[:, None])
    depth = np.cumprod(moves, axis=1).sum(axis=1)

    days = np.exp(np.log(MEDIAN_DAYS[safe_types]) + SIGMA * gen.standard_normal((count, MAX_STAGES)))
    stay = np.maximum((days * DAY).astype(np.int64), 600)
    entered = np.empty((count, MAX_STAGES), dtype=np.int64)
    entered[:, 0] = applied_at
    np.cumsum(stay[:, :-1], axis=1, out=entered[:, 1:])
    entered[:, 1:] += applied_at[:, None]

    reached = (entered <= cutoff[:, None]) & (positions <= depth[:, None])
    current = reached.sum(axis=1) - 1
    rows = np.arange(count)
    is_hired = current == stages - 1
    ends_at = entered[rows, depth] + stay[rows, depth]
    finished = ~is_hired & (current == depth) & (ends_at <= cutoff)
    closed_out = ~is_hired & ~finished & job_closed
    status = np.where(is_hired, 2, np.where(finished | closed_out, 1, 0))

    reason = np.full(count, -1, dtype=np.int64)
    reason[finished] = gen.choice(_REJECT_CODES, size=int(finished.sum()), p=_REJECT_WEIGHTS)
    at_offer = finished & (types[rows, depth] == OFFER)
    # A walk that fails at the offer stage is a declined offer (withdrew) or, now and then, a rescinded one.
    reason[at_offer] = np.where(gen.random(int(at_offer.sum())) < 0.8, 1, 5)
    reason[closed_out] = 2

    hired_at = np.where(is_hired, entered[rows, current], NO_TIME)
    archived_at = np.where(finished, ends_at, np.where(closed_out, cutoff, NO_TIME))
    last_activity_at = np.maximum(entered[rows, current], np.maximum(hired_at, archived_at))
    return Walk(depth, current, entered, stay, status, reason, hired_at, archived_at, last_activity_at)
