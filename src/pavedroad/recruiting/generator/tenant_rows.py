"""One tenant's setup: its row, organisation (``org_rows``), jobs with their interview plans and hiring
teams, and custom field definitions — the ``World`` its applications are drawn in.

Guarantees: every job has a plan of 4-7 stages starting with application_review and ending offer, hired; every job's
hiring team has one hiring manager, one recruiter and 3-5 interviewers, all distinct users; about 5%
of jobs are confidential; nothing is dated after the plan's reference date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs published

from pavedroad.recruiting.generator.columns import Batch, Ids, const, pick, stamps
from pavedroad.recruiting.generator.custom import CATALOG, values_json
from pavedroad.recruiting.generator.funnel import MAX_STAGES, STAGE_NAMES, STAGE_TYPES, Walk
from pavedroad.recruiting.generator.names import DEPARTMENTS, LOCATIONS, SOURCES
from pavedroad.recruiting.generator.org_rows import add_setup, add_users
from pavedroad.recruiting.generator.plan import DAY, TenantPlan, rng

__all__ = ["Chunk", "World", "build_world"]

APPLICATIONS_PER_JOB = 70
POOL = 6  # interview pool per job: the hiring manager and up to five interviewers
_DEPARTMENT_WEIGHT = np.array([6, 4, 2, 1.5, 1.5, 1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=np.float64)
_MIDDLE_WEIGHT = np.array([6.0, 2.0, 4.0, 1.5])  # phone_screen, assessment, onsite, reference_check
_EMPLOYMENT = ("full_time", "part_time", "contract", "intern")
_JOB_STATUS = ("draft", "open", "closed")


@dataclass(frozen=True)
class World:
    """What application generation needs to know about one tenant (arrays indexed by job)."""

    plan: TenantPlan
    source_ids: np.ndarray
    source_p: np.ndarray
    source_factor: np.ndarray
    job_ids: np.ndarray
    job_p: np.ndarray  # probability that an application goes to each job (0 for drafts)
    opened_at: np.ndarray
    cutoff: np.ndarray  # closed_at, or the reference date for jobs still open
    closed: np.ndarray
    stages: np.ndarray  # plan length per job
    stage_types: np.ndarray  # jobs x MAX_STAGES type codes, -1 past the plan
    stage_ids: np.ndarray  # jobs x MAX_STAGES, -1 past the plan
    recruiter: np.ndarray
    manager: np.ndarray
    pool: np.ndarray  # jobs x POOL user ids
    pool_size: np.ndarray
    salary: np.ndarray  # median base salary in the job's currency
    currency: pa.Array  # per job


@dataclass(frozen=True)
class Chunk:
    """A chunk's applications as the child-row builders see them: ids, job indexes, and their walk."""

    world: World
    app_ids: np.ndarray
    job: np.ndarray  # index into the world's job arrays
    result: Walk


def _plans(gen: np.random.Generator, jobs: int) -> tuple[np.ndarray, np.ndarray]:
    """Stage counts and J x MAX_STAGES type codes: review, 1-4 middle stages in order, offer, hired."""
    middle = gen.choice([1, 2, 3, 4], size=jobs, p=[0.15, 0.35, 0.35, 0.15])
    keys = np.log(gen.random((jobs, 4))) / _MIDDLE_WEIGHT
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    chosen = rank < middle[:, None]
    types = np.full((jobs, MAX_STAGES), -1, dtype=np.int64)
    types[:, 0] = 0
    order = np.where(chosen, np.arange(1, 5), 99)
    order.sort(axis=1)
    types[:, 1:5] = np.where(order < 99, order, -1)
    stages = middle + 3
    rows = np.arange(jobs)
    types[rows, stages - 2] = 5
    types[rows, stages - 1] = 6
    return stages, types


def _jobs(
    plan: TenantPlan,
    gen: np.random.Generator,
    ids: Ids,
    *,
    live: int,
    jobs: int,
    depts: np.ndarray,
    dept_ids: np.ndarray,
    loc_ids: np.ndarray,
    batch: Batch,
) -> tuple[np.ndarray, ...]:
    """Jobs (open, closed, a few drafts), ids in order of ``opened_at``; closed ones closed before "now"."""
    status = np.where(np.arange(jobs) < live, np.where(gen.random(jobs) < 0.8, 2, 1), 0)
    ago = np.where(
        status == 2,
        gen.integers(40 * DAY, 720 * DAY, jobs),
        np.clip(np.exp(np.log(50 * DAY) + 0.7 * gen.standard_normal(jobs)), 3 * DAY, 600 * DAY),
    )
    ago = np.where(status == 0, gen.integers(DAY, 10 * DAY, jobs), ago).astype(np.int64)
    opened = plan.reference - ago
    # Closed jobs ran ~60 days (log-normal), at least two weeks, and closed before "now" (at a random hour).
    length = np.exp(np.log(60 * DAY) + 0.5 * gen.standard_normal(jobs))
    length = np.minimum(np.maximum(length, 14 * DAY), ago - gen.integers(3600, DAY, jobs))
    closed = status == 2
    cutoff = np.where(closed, opened + length.astype(np.int64), plan.reference)
    by_time = np.argsort(opened, kind="stable")  # job ids increase with opened_at, as in a real system
    opened, cutoff, closed, status = opened[by_time], cutoff[by_time], closed[by_time], status[by_time]
    dept = gen.choice(dept_ids.size, size=jobs, p=_DEPARTMENT_WEIGHT[depts] / _DEPARTMENT_WEIGHT[depts].sum())
    loc = gen.integers(0, loc_ids.size, jobs)
    loc = np.where(gen.random(jobs) < 0.4, 0, loc)  # headquarters hires most
    per_dept = np.array([len(d[2]) for d in DEPARTMENTS])
    title = np.cumsum(np.concatenate([[0], per_dept[:-1]]))[depts[dept]]
    title += (gen.random(jobs) * per_dept[depts[dept]]).astype(np.int64)
    job_ids = ids.take("jobs", jobs)
    batch.add(
        "jobs",
        {
            "tenant_id": const(plan.tenant_id, jobs),
            "id": job_ids,
            "title": pick([t for d in DEPARTMENTS for t in d[2]], title),
            "department_id": dept_ids[dept],
            "location_id": loc_ids[loc],
            "status": pick(_JOB_STATUS, status),
            "confidential": gen.random(jobs) < 0.05,
            "employment_type": pick(_EMPLOYMENT, gen.choice(4, size=jobs, p=[0.88, 0.03, 0.06, 0.03])),
            "openings": np.where(gen.random(jobs) < 0.8, 1, gen.integers(2, 6, jobs)),
            "opened_at": stamps(opened),
            "closed_at": stamps(np.where(closed, cutoff, -1)),
            "custom": values_json("jobs", gen, opened),
        },
    )

    return job_ids, opened, cutoff, closed, status, dept, loc


def _team(
    tid: str, gen: np.random.Generator, job_ids: np.ndarray, users: tuple[np.ndarray, ...], batch: Batch
) -> tuple[np.ndarray, ...]:
    """Hiring teams; returns each job's hiring manager, recruiter, interview pool and interviewer count."""
    admins, recruiters, managers, interviewers = users
    jobs = job_ids.size
    manager = managers[gen.integers(0, managers.size, jobs)]
    recruiter = recruiters[gen.integers(0, recruiters.size, jobs)]
    team_size = gen.integers(3, POOL, jobs)  # interviewers on the team
    first = gen.integers(0, interviewers.size, jobs)
    slot = np.arange(POOL - 1)
    crew = interviewers[(first[:, None] + slot) % interviewers.size]
    in_team = slot < team_size[:, None]
    coordinator = admins[gen.integers(0, admins.size, jobs)]
    has_coord = gen.random(jobs) < 0.4
    team_job = np.concatenate([job_ids, job_ids, job_ids[has_coord], np.repeat(job_ids, team_size)])
    team_user = np.concatenate([manager, recruiter, coordinator[has_coord], crew[in_team]])
    team_role = np.repeat([0, 1, 2, 3], [jobs, jobs, int(has_coord.sum()), int(team_size.sum())])
    order = np.lexsort((team_role, team_job))
    batch.add(
        "job_hiring_team",
        {
            "tenant_id": const(tid, team_job.size),
            "job_id": team_job[order],
            "user_id": team_user[order],
            "team_role": pick(("hiring_manager", "recruiter", "coordinator", "interviewer"), team_role[order]),
        },
    )

    pool = np.concatenate([manager[:, None], crew], axis=1)
    return manager, recruiter, pool, team_size


def build_world(plan: TenantPlan, seed: int, ids: Ids) -> tuple[World, Batch]:
    """Generate the tenant row and its setup tables; return the world and the rows to load first."""
    gen = rng(seed, 1, plan.index)
    batch = Batch()
    tid = plan.tenant_id
    batch.add(
        "tenants",
        {
            "tenant_id": [tid],
            "name": [plan.name],
            "time_zone": [plan.time_zone],
            "min_group_size": [5],
            "created_at": stamps(np.array([plan.created_at])),
        },
    )
    live = max(1, round(plan.applications / APPLICATIONS_PER_JOB))
    jobs = live + live // 30  # a few drafts, which get no applications
    depts, dept_ids, locs, loc_ids, srcs, src_ids = add_setup(plan, gen, ids, jobs, batch)
    admins, recruiters, managers, interviewers, _ = add_users(plan, gen, ids, jobs, batch)

    job_ids, opened, cutoff, closed, status, dept, loc = _jobs(
        plan, gen, ids, live=live, jobs=jobs, depts=depts, dept_ids=dept_ids, loc_ids=loc_ids, batch=batch
    )

    stages, types = _plans(gen, jobs)
    valid = types >= 0
    stage_ids = np.full(types.shape, -1, dtype=np.int64)
    stage_ids[valid] = ids.take("job_stages", int(valid.sum()))
    job_of, position = np.nonzero(valid)
    batch.add(
        "job_stages",
        {
            "tenant_id": const(tid, job_of.size),
            "id": stage_ids[valid],
            "job_id": job_ids[job_of],
            "position": position + 1,
            "name": pick(STAGE_NAMES, types[valid]),
            "stage_type": pick(STAGE_TYPES, types[valid]),
        },
    )

    manager, recruiter, pool, team_size = _team(tid, gen, job_ids, (admins, recruiters, managers, interviewers), batch)

    defs = len(CATALOG)
    batch.add(
        "custom_field_definitions",
        {
            "tenant_id": const(tid, defs),
            "id": ids.take("custom_field_definitions", defs),
            "entity": [f.entity for f in CATALOG],
            "key": [f.key for f in CATALOG],
            "label": [f.label for f in CATALOG],
            "field_type": [f.field_type for f in CATALOG],
            "options": [json.dumps(list(f.options)) for f in CATALOG],
            "classification": [f.classification for f in CATALOG],
            "created_at": stamps(plan.created_at + DAY * np.arange(1, defs + 1)),
        },
    )

    weight = np.exp(gen.normal(0.0, 0.9, jobs)) * np.sqrt((cutoff - opened) / DAY) * (status > 0)
    volume = np.array([SOURCES[i][2] for i in srcs])
    salary = np.array([DEPARTMENTS[d][1] for d in depts[dept]]) * np.array([LOCATIONS[i][3] for i in locs[loc]])
    world = World(
        plan=plan,
        source_ids=src_ids,
        source_p=volume / volume.sum(),
        source_factor=np.array([SOURCES[i][3] for i in srcs]),
        job_ids=job_ids,
        job_p=weight / weight.sum(),
        opened_at=opened,
        cutoff=cutoff,
        closed=closed,
        stages=stages,
        stage_types=types,
        stage_ids=stage_ids,
        recruiter=recruiter,
        manager=manager,
        pool=pool,
        pool_size=team_size + 1,
        salary=salary,
        currency=pick([loc[2] for loc in LOCATIONS], locs[loc]),
    )
    return world, batch
