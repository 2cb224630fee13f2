"""Interviews (with participants and scorecards) and offers (with versions) of a chunk's applications.

Guarantees: every phone_screen and onsite stage an application entered has one interview, scheduled
inside its time in that stage, with 1-2 (phone) or 3-4 (onsite) distinct participants from the job's
hiring manager and interviewers; only completed interviews have scorecards, one per submitting
participant, never dated after the reference date, positive when the application moved on; every application
that reached its offer stage has 1-3 offer versions, earlier ones declined, the last one ``accepted``
exactly when the application is hired, ``declined``/``rescinded`` when it was archived at the offer.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs published

from pavedroad.recruiting.generator.columns import Batch, Ids, const, pick, stamps
from pavedroad.recruiting.generator.funnel import MAX_STAGES
from pavedroad.recruiting.generator.names import NOTES
from pavedroad.recruiting.generator.plan import DAY
from pavedroad.recruiting.generator.tenant_rows import Chunk

__all__ = ["INTERVIEW_STATUSES", "OFFER_STATUSES", "RECOMMENDATIONS", "add_interviews", "add_offers"]

PHONE_SCREEN, ONSITE = 1, 3
INTERVIEW_STATUSES = ("scheduled", "completed", "cancelled", "no_show")
RECOMMENDATIONS = ("strong_no", "no", "yes", "strong_yes")
OFFER_STATUSES = ("draft", "extended", "accepted", "declined", "rescinded")
_CUM_MOVED_ON = np.array([0.03, 0.15, 0.70])  # cumulative strong_no, no, yes (rest strong_yes)
_CUM_STOPPED = np.array([0.30, 0.75, 0.95])
_BASE_RATING = np.array([1, 2, 4, 5])


def add_interviews(batch: Batch, gen: np.random.Generator, chunk: Chunk, ids: Ids) -> None:
    """Interviews, interview_participants and scorecards."""
    world, app_ids, job, result = chunk.world, chunk.app_ids, chunk.job, chunk.result
    tid = world.plan.tenant_id
    types = world.stage_types[job]
    entered_stage = np.arange(MAX_STAGES) <= result.current[:, None]
    app, step = np.nonzero(((types == PHONE_SCREEN) | (types == ONSITE)) & entered_stage)
    count = app.size
    onsite = types[app, step] == ONSITE
    scheduled = result.entered[app, step] + (result.stay[app, step] * gen.uniform(0.2, 0.7, count)).astype(np.int64)
    moved_on = step < result.depth[app]
    future = scheduled > world.cutoff[job[app]]
    draw = gen.random(count)
    past = np.where(moved_on | (draw < 0.92), 1, np.where(draw < 0.95, 3, 2))
    status = np.where(future, np.where(result.status[app] == 0, 0, 2), past)
    minutes = np.where(onsite, gen.choice([180, 240], count), gen.choice([30, 45], count))
    interview_ids = ids.take("interviews", count)
    batch.add(
        "interviews",
        {
            "tenant_id": const(tid, count),
            "id": interview_ids,
            "application_id": app_ids[app],
            "stage_id": world.stage_ids[job[app], step],
            "scheduled_at": stamps(scheduled),
            "duration_minutes": minutes,
            "status": pick(INTERVIEW_STATUSES, status),
        },
    )

    pool_size = world.pool_size[job[app]]
    seats = np.minimum(np.where(onsite, gen.integers(3, 5, count), np.where(gen.random(count) < 0.75, 1, 2)), pool_size)
    which = np.repeat(np.arange(count), seats)
    slot = np.arange(which.size) - np.repeat(np.cumsum(seats) - seats, seats)
    turn = gen.integers(0, 1 << 20, count)
    user = world.pool[job[app[which]], (turn[which] + slot) % pool_size[which]]
    batch.add(
        "interview_participants",
        {
            "tenant_id": const(tid, which.size),
            "interview_id": interview_ids[which],
            "user_id": user,
        },
    )

    submitted = scheduled[which] + minutes[which] * 60 + np.exp(np.log(4 * 3600) + gen.standard_normal(which.size))
    submitted = submitted.astype(np.int64)
    keep = (status[which] == 1) & (gen.random(which.size) < 0.93) & (submitted <= world.plan.reference)
    card = which[keep]
    thresholds = np.where(moved_on[card][:, None], _CUM_MOVED_ON, _CUM_STOPPED)
    rec = (gen.random(card.size)[:, None] > thresholds).sum(axis=1)
    rating = np.clip(_BASE_RATING[rec] + gen.choice([-1, 0, 1], size=card.size, p=[0.15, 0.7, 0.15]), 1, 5)
    notes = [note for by_rec in NOTES for note in by_rec]
    batch.add(
        "scorecards",
        {
            "tenant_id": const(tid, card.size),
            "id": ids.take("scorecards", card.size),
            "interview_id": interview_ids[card],
            "application_id": app_ids[app[card]],
            "interviewer_id": user[keep],
            "recommendation": pick(RECOMMENDATIONS, rec),
            "overall_rating": rating,
            "notes": pick(notes, rec * 3 + gen.integers(0, 3, card.size)),
            "submitted_at": stamps(submitted[keep]),
        },
    )


def add_offers(batch: Batch, gen: np.random.Generator, chunk: Chunk, ids: Ids) -> None:
    """Offers: one row per version for each application that reached its offer stage."""
    world, app_ids, job, result = chunk.world, chunk.app_ids, chunk.job, chunk.result
    offer_at = world.stages[job] - 2
    app = np.nonzero(result.current >= offer_at)[0]
    versions = gen.choice([1, 2, 3], size=app.size, p=[0.85, 0.12, 0.03])
    start = result.entered[app, offer_at[app]]
    state = result.status[app]
    end = np.where(
        state == 2, result.hired_at[app], np.where(state == 1, result.archived_at[app], world.plan.reference)
    )
    row = np.repeat(np.arange(app.size), versions)
    version = np.arange(row.size) - np.repeat(np.cumsum(versions) - versions, versions) + 1
    last = version == versions[row]
    span = (end - start)[row]
    extended = start[row] + (span * (version - 0.9) / versions[row]).astype(np.int64)
    superseded = start[row] + (span * (version + 0.1) / versions[row]).astype(np.int64)
    # final: accepted when hired, declined (withdrew) or rescinded when archived, extended/draft when active
    final = np.where(state == 2, 2, np.where(state == 1, np.where(result.reason[app] == 1, 3, 4), 1))
    final = np.where((final == 1) & (versions == 1) & (gen.random(app.size) < 0.25), 0, final)
    status = np.where(last, final[row], 3)
    resolved = np.where(last, np.where(state[row] == 0, -1, end[row]), superseded)
    raw = world.salary[job[app]][row] * np.exp(gen.normal(0.0, 0.12, row.size)) * (1 + 0.04 * (version - 1))
    accepted = status == 2
    start_day = (end[row] // DAY + gen.integers(14, 46, row.size)).astype(np.int32)
    batch.add(
        "offers",
        {
            "tenant_id": const(world.plan.tenant_id, row.size),
            "id": ids.take("offers", row.size),
            "application_id": app_ids[app[row]],
            "version": version,
            "status": pick(OFFER_STATUSES, status),
            "salary": (np.round(raw / 500) * 500).astype(np.int64),
            "currency": world.currency.take(job[app[row]]),
            "extended_at": stamps(np.where(status == 0, -1, extended)),
            "resolved_at": stamps(resolved),
            "start_date": pa.array(start_day, type=pa.date32(), mask=~accepted if (~accepted).any() else None),
        },
    )
