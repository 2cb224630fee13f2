"""Data filtering agrees with Cedar: for random read policies (platform, and tenant sets that narrow),
the rows of ``jobs`` a principal's query returns through the guard — on Postgres and on DuckDB — are
exactly the rows Cedar's own evaluator allows that principal to read, whether ``jobs`` is the query's
root or reached by navigation (``job_stages | select id, job.id``); navigation the filter cannot cover
(one-to-many into a narrowed entity) is refused."""

from __future__ import annotations

import random
from typing import Any

import cedarpy
import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.policy import PolicyEngine
from pavedroad.policy.codegen import action_matches
from pavedroad.policy.entities import Entity
from pavedroad.policy.parse import policies_to_est
from pavedroad.privacy import Guardrails
from pavedroad.query import QueryError, run
from pavedroad.query.warehouse_copy import copy_tables
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase
from pavedroad.testing.cedar_random import STATUSES, TYPES, filter_policies
from tests.integration.privacy.seed import seed_tenant

FIELDS = """@id("fields") permit (principal, action == Action::"use_field", resource);
@id("others") permit (principal, action == Action::"read", resource) unless { resource is jobs };
"""
TABLES = ("jobs", "departments", "locations")  # entity = table


def _seed(owner_url: str, rng: random.Random) -> dict[str, int]:
    seed_tenant(owner_url, "beta", candidates=1)  # another tenant's rows, which no filter may reach
    world = seed_tenant(owner_url, "alpha", candidates=1)
    with psycopg.connect(owner_url) as conn:
        depts = [
            conn.execute("insert into departments (tenant_id, name) values ('alpha', %s) returning id", (n,)).fetchone()
            for n in ("Eng", "Ops")
        ]  # fmt: skip
        loc = conn.execute("select id from locations where tenant_id = 'alpha' limit 1").fetchone()
        assert loc is not None
        for _ in range(24):
            dept = rng.choice(depts)
            assert dept is not None
            job = conn.execute(
                "insert into jobs (tenant_id, title, department_id, location_id, status, confidential,"
                " employment_type, openings) values ('alpha', %s, %s, %s, %s, %s, %s, %s) returning id",
                (rng.choice(["Engineer", "Analyst"]), dept[0], loc[0], rng.choice(STATUSES), rng.random() < 0.4,
                 rng.choice(TYPES), rng.randint(1, 4)),
            ).fetchone()  # fmt: skip
            assert job is not None
            conn.execute("insert into job_stages (tenant_id, job_id, position, name, stage_type)"
                         " values ('alpha', %s, 1, 'Review', 'application_review')", (job[0],))  # fmt: skip
    return world.users


def _entities(owner_url: str, engine: PolicyEngine) -> list[dict[str, Any]]:
    """Alpha's jobs, departments and locations as Cedar entities (null columns are absent attributes)."""
    out = []
    with psycopg.connect(owner_url) as conn:
        for entity in TABLES:
            fields = engine.fields[entity]
            rel = engine.model.entities[entity].relations
            cols = [f for f in fields if f not in rel]
            fks = {r: rel[r].foreign_key for r in fields if r in rel}
            sql = f"select {', '.join([*cols, *fks.values()])} from {entity} where tenant_id = 'alpha'"
            for row in conn.execute(sql).fetchall():  # names from the model
                attrs = {c: v for c, v in zip(cols, row, strict=False) if v is not None}
                for (r, _), v in zip(fks.items(), row[len(cols) :], strict=True):
                    if v is not None:
                        attrs[r] = {"__entity": {"type": fields[r].type, "id": str(v)}}
                out.append({"uid": {"type": entity, "id": str(attrs["id"])}, "attrs": attrs, "parents": []})
    return out


def _allowed(policies: list[Any], principal: dict[str, Any], rows: list[dict[str, Any]], ents: list[Any]) -> set[int]:
    if not policies:
        return set()
    reqs = [{"principal": f'User::"{principal["uid"]["id"]}"', "action": 'Action::"read"',
             "resource": f'jobs::"{r["uid"]["id"]}"', "context": {}} for r in rows]  # fmt: skip
    ps = cedarpy.PolicySet.from_json_str(policies_to_est(policies))
    results = cedarpy.is_authorized_batch(reqs, ps, [*ents, principal])
    return {int(r["uid"]["id"]) for r, res in zip(rows, results, strict=True) if res.allowed}


def test_rows_through_the_guard_equal_the_rows_cedar_allows(database: TestDatabase) -> None:
    rng = random.Random(19)
    users = _seed(database.owner_url, rng)
    model = recruiting_model()
    probe = PolicyEngine(model, FIELDS + filter_policies(rng))
    ents = _entities(database.owner_url, probe)
    jobs = [e for e in ents if e["uid"]["type"] == "jobs"]
    with psycopg.connect(database.owner_url) as conn:
        duck = copy_tables(conn, model)
        stages = conn.execute("select id, job_id from job_stages where tenant_id = 'alpha'").fetchall()
    read = Entity(("Action", "read"))
    cases = mismatches = narrowed = refused = 0
    with ConnectionPool(database.app_url, min_size=1, max_size=2) as pool:
        for world in range(12):
            engine = PolicyEngine(model, FIELDS + filter_policies(rng, rng.randint(1, 4)))
            tenant = None
            if world % 2:
                engine.set_tenant("alpha", filter_policies(rng, rng.randint(1, 2)).replace('@id("f', '@id("t'))
                tenant = engine.tenants["alpha"]
            guard = Guardrails(policies=engine)
            for role in (Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER):
                who = Principal("alpha", users[role.value], role)
                cedar_user = {"uid": {"type": "User", "id": str(who.user_id)},
                              "parents": [{"type": "Role", "id": role.value}],
                              "attrs": {"role": role.value, "user_id": who.user_id}}  # fmt: skip
                want = _allowed(list(engine.platform.policies), cedar_user, jobs, ents)
                if tenant is not None:
                    permits = [p for p in tenant.policies if p.permit and action_matches(p.action, read)]
                    allow_all = list(PolicyEngine(model, FIELDS + '@id("all") permit (principal, action, resource);')
                                     .platform.policies)  # fmt: skip
                    forbids = [p for p in tenant.policies if not p.permit]
                    before = len(want)
                    want &= _allowed([*allow_all[2:], *forbids], cedar_user, jobs, ents)
                    if permits:
                        want &= _allowed(permits, cedar_user, jobs, ents)
                    narrowed += len(want) < before
                navigated = "job_stages | select id, job.id"
                try:
                    pg = {r[0] for r in run(pool, who, "jobs | select id", model=model, guard=guard).rows}
                    dk = {r[0] for r in run(pool, who, "jobs | select id", model=model, guard=guard, duckdb=duck).rows}
                    pg_nav = {tuple(r) for r in run(pool, who, navigated, model=model, guard=guard).rows}
                    dk_nav = {tuple(r) for r in run(pool, who, navigated, model=model, guard=guard, duckdb=duck).rows}
                except QueryError as exc:  # pragma: no cover - a failure names the policies
                    pytest.fail(f"{exc}\n{engine.platform.text}")
                want_nav = {(s, j) for s, j in stages if j in want}
                assert pg_nav == dk_nav == want_nav, (role, engine.platform.text, tenant.text if tenant else "")
                if want != {int(j["uid"]["id"]) for j in jobs}:  # jobs are narrowed: counting them is refused
                    with pytest.raises(QueryError, match="unknown field 'jobs' on departments"):
                        run(pool, who, "departments | aggregate n = count(jobs)", model=model, guard=guard)
                    refused += 1
                cases += len(jobs)
                if not pg == dk == want:
                    mismatches += 1
                    pytest.fail(f"{role}: pg {sorted(pg)} duckdb {sorted(dk)} cedar {sorted(want)}\n"
                                f"{engine.platform.text}\n{tenant.text if tenant else ''}")  # fmt: skip
    assert cases >= 800
    assert mismatches == 0
    assert narrowed > 0
    assert refused > 0
