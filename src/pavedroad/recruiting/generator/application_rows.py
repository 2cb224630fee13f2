"""One chunk of a tenant's pipeline: candidates, applications, their stage history and EEOC answers.

Guarantees: application ids increase with ``applied_at`` within a chunk, candidate ids with the
candidate's first application; some candidates apply more than once; every application has one
``stage_transitions`` row per stage it entered (the first from NULL at ``applied_at``), its
``current_stage_id`` is the last one entered, and its status and timestamps satisfy the table's CHECKs;
about 60% of candidates answer the EEOC questions, each question with a 'decline' option.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs published
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]  # no stubs published

from pavedroad.recruiting.generator.columns import Batch, Ids, const, ints, join, pick, stamps
from pavedroad.recruiting.generator.custom import values_json
from pavedroad.recruiting.generator.funnel import ARCHIVE_REASONS, STATUSES, walk
from pavedroad.recruiting.generator.interview_rows import add_interviews, add_offers
from pavedroad.recruiting.generator.names import CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from pavedroad.recruiting.generator.plan import rng
from pavedroad.recruiting.generator.tenant_rows import Chunk, World

__all__ = ["EEOC_ANSWERS", "EEOC_RATE", "build_chunk"]

EEOC_RATE = 0.6
# Per question: answers and their weights ('decline' is always an answer).
EEOC_ANSWERS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "gender": (("female", "male", "non_binary", "decline"), (0.44, 0.44, 0.03, 0.09)),
    "race_ethnicity": (
        ("hispanic_latino", "white", "black", "asian", "native_american", "pacific_islander", "two_or_more", "decline"),
        (0.15, 0.42, 0.12, 0.16, 0.01, 0.01, 0.04, 0.09),
    ),
    "veteran_status": (("veteran", "not_veteran", "decline"), (0.05, 0.85, 0.10)),
    "disability_status": (("yes", "no", "decline"), (0.07, 0.80, 0.13)),
}
_APPLICATIONS_PER_CANDIDATE = (np.array([1, 2, 3, 4]), np.array([0.86, 0.10, 0.03, 0.01]))


def _candidates(gen: np.random.Generator, applied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate index of each (time-ordered) application, numbered by first application; and that time."""
    count = applied.size
    per = gen.choice(_APPLICATIONS_PER_CANDIDATE[0], size=count, p=_APPLICATIONS_PER_CANDIDATE[1])
    owner = gen.permutation(np.repeat(np.arange(count), per)[:count])
    seen, first = np.unique(owner, return_index=True)
    by_time = np.argsort(first, kind="stable")
    label = np.empty(seen.max() + 1, dtype=np.int64)
    label[seen[by_time]] = np.arange(seen.size)
    return label[owner], applied[first[by_time]]


def _add_candidates(batch: Batch, gen: np.random.Generator, tid: str, ids: np.ndarray, first_at: np.ndarray) -> None:
    count = ids.size
    first, last = gen.integers(0, len(FIRST_NAMES), count), gen.integers(0, len(LAST_NAMES), count)
    lower_first = pa.array([n.lower() for n in FIRST_NAMES]).take(first)
    lower_last = pa.array([n.lower() for n in LAST_NAMES]).take(last)
    number = pa.array(ids).cast(pa.string())
    created = first_at - gen.integers(0, 3600, count)
    area = pa.array(gen.integers(200, 1000, count)).cast(pa.string())
    line = pa.array(gen.integers(100, 10_000, count) + 10_000).cast(pa.string())  # 5 digits, drop the lead
    phone = join("+1 (", area, ") 555-", pc.utf8_slice_codeunits(line, 1))
    batch.add(
        "candidates",
        {
            "tenant_id": const(tid, count),
            "id": ids,
            "first_name": pick(FIRST_NAMES, first),
            "last_name": pick(LAST_NAMES, last),
            "email": join(lower_first, ".", lower_last, number, "@", pick(EMAIL_DOMAINS, gen.integers(0, 4, count))),
            "phone": pc.if_else(pa.array(gen.random(count) < 0.85), phone, pa.scalar(None, pa.string())),
            "city": pick(CITIES, gen.integers(0, len(CITIES), count), null=gen.random(count) < 0.08),
            "linkedin_url": pc.if_else(
                pa.array(gen.random(count) < 0.55),
                join("https://www.linkedin.com/in/", lower_first, "-", lower_last, "-", number),
                pa.scalar(None, pa.string()),
            ),
            "created_at": stamps(created),
            "custom": values_json("candidates", gen, created),
        },
    )
    answered = np.nonzero(gen.random(count) < EEOC_RATE)[0]
    eeoc: dict[str, pa.Array | np.ndarray] = {"tenant_id": const(tid, answered.size), "candidate_id": ids[answered]}
    for question, (answers, weights) in EEOC_ANSWERS.items():
        eeoc[question] = pick(answers, gen.choice(len(answers), size=answered.size, p=weights))
    eeoc["submitted_at"] = stamps(created[answered] + gen.integers(60, 1800, answered.size))
    batch.add("eeoc_responses", eeoc)


def _add_transitions(batch: Batch, gen: np.random.Generator, chunk: Chunk, ids: Ids) -> None:
    world, app_ids, job, result = chunk.world, chunk.app_ids, chunk.job, chunk.result
    per = result.current + 1
    app = np.repeat(np.arange(app_ids.size), per)
    step = np.arange(app.size) - np.repeat(np.cumsum(per) - per, per)
    to_stage = world.stage_ids[job[app], step]
    from_stage = world.stage_ids[job[app], np.maximum(step - 1, 0)]
    mover = np.where(gen.random(app.size) < 0.7, world.recruiter[job[app]], world.manager[job[app]])
    applied_step = step == 0  # the candidate applied: no previous stage, no user moved it
    batch.add(
        "stage_transitions",
        {
            "tenant_id": const(world.plan.tenant_id, app.size),
            "id": ids.take("stage_transitions", app.size),
            "application_id": app_ids[app],
            "from_stage_id": ints(from_stage, applied_step),
            "to_stage_id": to_stage,
            "moved_at": stamps(result.entered[app, step]),
            "moved_by": ints(mover, applied_step),
        },
    )


def build_chunk(world: World, seed: int, chunk: int, size: int, ids: Ids) -> Batch:
    """``size`` applications of ``world``'s tenant with everything hanging off them."""
    gen = rng(seed, 2, world.plan.index, chunk)
    tid = world.plan.tenant_id
    job = gen.choice(world.job_ids.size, size=size, p=world.job_p)
    window = world.cutoff[job] - world.opened_at[job] - 3600
    applied = world.opened_at[job] + (gen.random(size) ** 1.6 * window).astype(np.int64)
    order = np.argsort(applied, kind="stable")
    job, applied = job[order], applied[order]
    source = gen.choice(world.source_ids.size, size=size, p=world.source_p)
    no_source = gen.random(size) < 0.03
    factor = np.where(no_source, 1.0, world.source_factor[source])
    result = walk(
        gen,
        types=world.stage_types[job],
        stages=world.stages[job],
        applied_at=applied,
        cutoff=world.cutoff[job],
        job_closed=world.closed[job],
        review_factor=factor,
    )

    batch = Batch(applications=size)
    owner, first_at = _candidates(gen, applied)
    cand_ids = ids.take("candidates", first_at.size)
    _add_candidates(batch, gen, tid, cand_ids, first_at)
    app_ids = ids.take("applications", size)
    batch.add(
        "applications",
        {
            "tenant_id": const(tid, size),
            "id": app_ids,
            "candidate_id": cand_ids[owner],
            "job_id": world.job_ids[job],
            "source_id": ints(world.source_ids[source], no_source),
            "current_stage_id": world.stage_ids[job, result.current],
            "status": pick(STATUSES, result.status),
            "archive_reason": pick(ARCHIVE_REASONS, np.maximum(result.reason, 0), null=result.reason < 0),
            "applied_at": stamps(applied),
            "last_activity_at": stamps(result.last_activity_at),
            "hired_at": stamps(result.hired_at),
            "archived_at": stamps(result.archived_at),
            "custom": values_json("applications", gen, applied),
        },
    )
    drawn = Chunk(world, app_ids, job, result)
    _add_transitions(batch, gen, drawn, ids)
    add_interviews(batch, gen, drawn, ids)
    add_offers(batch, gen, drawn, ids)
    return batch
