"""A tenant's organisation: departments, locations, sources and users of every role.

Guarantees: Engineering and Sales always exist and more departments come with more jobs; sources are
drawn without replacement weighted by their real-world volume; every role has at least one user and
the first user of each role is active (demo API keys attach to it); user e-mails are unique in the
tenant (``first.lastN@<tenant>.example``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs published

from pavedroad.recruiting.generator.columns import Batch, Ids, const, join, pick, stamps
from pavedroad.recruiting.generator.names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, LOCATIONS, SOURCES
from pavedroad.recruiting.generator.plan import DAY, TenantPlan

__all__ = ["ROLES", "add_setup", "add_users"]

ROLES = ("admin", "recruiter", "hiring_manager", "interviewer", "compliance")


def add_users(plan: TenantPlan, gen: np.random.Generator, ids: Ids, jobs: int, batch: Batch) -> list[np.ndarray]:
    counts = [1 + jobs // 200, 1 + jobs // 12, 1 + jobs // 4, 5 + jobs + jobs // 2, 1 + jobs // 500]
    role = np.repeat(np.arange(len(ROLES)), counts)
    total = len(role)
    user_ids = ids.take("users", total)
    first, last = gen.integers(0, len(FIRST_NAMES), total), gen.integers(0, len(LAST_NAMES), total)
    firsts, lasts = pa.array(FIRST_NAMES), pa.array(LAST_NAMES)
    lower_first, lower_last = pa.array([n.lower() for n in FIRST_NAMES]), pa.array([n.lower() for n in LAST_NAMES])
    starts = np.cumsum([0, *counts[:-1]])
    active = gen.random(total) > 0.04
    active[starts] = True  # the first user of each role stays active (demo keys attach to it)
    ordinal = pa.array(np.arange(1, total + 1)).cast(pa.string())
    batch.add(
        "users",
        {
            "tenant_id": const(plan.tenant_id, total),
            "id": user_ids,
            "email": join(lower_first.take(first), ".", lower_last.take(last), ordinal, f"@{plan.tenant_id}.example"),
            "name": join(firsts.take(first), " ", lasts.take(last)),
            "role": pick(ROLES, role),
            "active": active,
            "created_at": stamps(plan.created_at + gen.integers(0, 300 * DAY, total)),
        },
    )
    return [user_ids[role == r] for r in range(len(ROLES))]


def add_setup(plan: TenantPlan, gen: np.random.Generator, ids: Ids, jobs: int, batch: Batch) -> tuple[np.ndarray, ...]:
    """Departments, locations and sources; returns their ids and the sources' draw weights."""
    dept_count = min(len(DEPARTMENTS), 2 + jobs // 8)
    depts = np.concatenate([[0, 1], 2 + gen.permutation(len(DEPARTMENTS) - 2)])[:dept_count]
    dept_ids = ids.take("departments", dept_count)
    batch.add(
        "departments",
        {
            "tenant_id": const(plan.tenant_id, dept_count),
            "id": dept_ids,
            "name": pick([d[0] for d in DEPARTMENTS], depts),
        },
    )
    loc_count = min(len(LOCATIONS), 1 + jobs // 12)
    locs = gen.permutation(len(LOCATIONS))[:loc_count]
    loc_ids = ids.take("locations", loc_count)
    batch.add(
        "locations",
        {
            "tenant_id": const(plan.tenant_id, loc_count),
            "id": loc_ids,
            "name": pick([loc[0] for loc in LOCATIONS], locs),
            "country": pick([loc[1] for loc in LOCATIONS], locs),
            "remote": np.array([LOCATIONS[i][4] for i in locs]),
        },
    )
    src_count = min(len(SOURCES), 5 + jobs // 4)
    volume = np.array([s[2] for s in SOURCES])
    keys = np.log(gen.random(len(SOURCES))) / volume  # weighted sampling without replacement
    srcs = np.sort(np.argsort(-keys)[:src_count])
    src_ids = ids.take("sources", src_count)
    batch.add(
        "sources",
        {
            "tenant_id": const(plan.tenant_id, src_count),
            "id": src_ids,
            "name": pick([s[0] for s in SOURCES], srcs),
            "kind": pick([s[1] for s in SOURCES], srcs),
        },
    )
    return depts, dept_ids, locs, loc_ids, srcs, src_ids
