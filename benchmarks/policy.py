"""Policies: decision latency (ours vs cedarpy), the cost of policy row filters in queries, and a
differential run against Cedar.

* **Decisions** — the same requests (a field decision, a row read, a platform action) decided by
  ``Authorizer.is_allowed`` over the recruiting platform policies and by ``cedarpy.is_authorized`` with
  the policies and entities pre-parsed (``cedarpy.PolicySet``, ``cedarpy.Entities``), interleaved in one
  run. Figures: ``decision_p50_us``, ``cedarpy_decision_p50_us``, ``speedup_vs_cedarpy`` (targets: ≤ 5 µs,
  ≥ 10x); ``decision_tenant_p50_us`` with a tenant's set narrowing the platform's.
* **Row filters** — every query of ``benchmarks/query_suite.yaml`` as a recruiter through the query guard
  twice, interleaved (ABBA): with the recruiting policies and a tenant's read policies (field access by
  policy; rows by the policies' residual, at the root and on every many-to-one path into a narrowed
  entity), and with the matrix and the same conditions as static row rules (built once per query outside
  the timing, as hand-written rules would be), so both run the same SQL. Figure ``filter_overhead_pct``:
  geometric mean over queries of median(policies) / median(static), as an overhead in percent (target
  ≤ 5 %).
* **Differential** — random policy sets, entities and requests (``pavedroad.testing.cedar_random``) decided
  by both evaluators: ``differential_cases``, ``differential_mismatches`` (must be 0).

Data: ``pavedroad.recruiting.generator.seed`` — 200k applications over 3 tenants (``--quick``: 20k).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import time
from pathlib import Path
from typing import Any

import cedarpy
import psycopg
import yaml
from psycopg_pool import AsyncConnectionPool
from rich.console import Console

from pavedroad.policy import Authorizer, Entities, Entity, PolicyEngine, PolicySet, Record, field_entity, uid
from pavedroad.policy.entities import from_cedar_value
from pavedroad.policy.parse import policies_to_est
from pavedroad.privacy import Guardrails
from pavedroad.privacy.queries import _with_policy_rules as with_policy_rules
from pavedroad.query import Classification, FieldUse, QueryError, QueryLimitError, arun, parse_text, to_json
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.policies import recruiting_policies
from pavedroad.recruiting.reads import ACCESS, ROW_RULES
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import start_test_servers
from pavedroad.testing.cedar_random import decision_world

console = Console(stderr=True)
SUITE = yaml.safe_load((Path(__file__).resolve().parent / "query_suite.yaml").read_text())

TENANT_POLICIES = """
@id("acme.archived") forbid (principal, action == Action::"read", resource is applications)
when { resource.status == "archived" } unless { principal in Role::"admin" };
@id("acme.confidential-jobs") forbid (principal, action == Action::"read", resource is jobs)
when { resource.confidential } unless { principal in Role::"admin" };
"""


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def _requests() -> tuple[list[tuple[Any, ...]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The benchmark's requests, for ours and for cedarpy, and the entities cedarpy needs."""
    salary = field_entity(FieldUse("offers", "salary", Classification.confidential))
    user = Entity(("User", "5"), Record(role="recruiter", user_id=5), frozenset({("Role", "recruiter")}))
    job = Entity(("jobs", "7"), Record(id=7, confidential=True, status="open", openings=2))
    platform = Entity(("Platform", "pavedroad"))
    ours = [(("Role", "recruiter"), "use_field", salary), (user, "read", job), (user, "flags.kill", platform)]
    ents = [
        {"uid": {"type": "Field", "id": salary.uid[1]}, "attrs": dict(salary.attrs), "parents": []},
        {"uid": {"type": "User", "id": "5"}, "attrs": dict(user.attrs),
         "parents": [{"type": "Role", "id": "recruiter"}]},
        {"uid": {"type": "jobs", "id": "7"}, "attrs": dict(job.attrs), "parents": []},
        {"uid": {"type": "Platform", "id": "pavedroad"}, "attrs": {}, "parents": []},
    ]  # fmt: skip
    theirs = [
        {"principal": 'Role::"recruiter"', "action": 'Action::"use_field"', "resource": f'Field::"{salary.uid[1]}"',
         "context": {}},
        {"principal": 'User::"5"', "action": 'Action::"read"', "resource": 'jobs::"7"', "context": {}},
        {"principal": 'User::"5"', "action": 'Action::"flags.kill"', "resource": 'Platform::"pavedroad"',
         "context": {}},
    ]  # fmt: skip
    return ours, theirs, ents


def bench_decisions(n: int) -> dict[str, Any]:
    engine = recruiting_policies()
    az = engine.authorizer()
    tenant_engine = PolicyEngine(engine.model, engine.platform.text)
    tenant_engine.set_tenant("acme", TENANT_POLICIES)
    az_tenant = tenant_engine.authorizer("acme")
    ours, theirs, ents = _requests()
    ps = cedarpy.PolicySet.from_json_str(policies_to_est(list(engine.platform.policies)))
    handle = cedarpy.Entities.from_json_str(json.dumps(ents))
    none = Entities()
    mine, ref, mine_t = [], [], []
    for i in range(n):
        k = i % len(ours)
        p, a, r = ours[k]
        t = time.perf_counter_ns()
        got = az.is_allowed(p, a, r, None, none)
        mine.append(time.perf_counter_ns() - t)
        t = time.perf_counter_ns()
        want = cedarpy.is_authorized(theirs[k], ps, handle)
        ref.append(time.perf_counter_ns() - t)
        t = time.perf_counter_ns()
        az_tenant.is_allowed(p, a, r, None, none)
        mine_t.append(time.perf_counter_ns() - t)
        if got.allowed != want.allowed:
            raise SystemExit(f"decision differs from cedarpy on {theirs[k]}")
    ours_p50, ref_p50 = statistics.median(mine) / 1000, statistics.median(ref) / 1000
    return {
        "decision_p50_us": round(ours_p50, 2),
        "decision_p99_us": round(sorted(mine)[int(len(mine) * 0.99)] / 1000, 2),
        "decision_tenant_p50_us": round(statistics.median(mine_t) / 1000, 2),
        "cedarpy_decision_p50_us": round(ref_p50, 2),
        "speedup_vs_cedarpy": round(ref_p50 / ours_p50, 1),
    }


def bench_differential(worlds: int) -> dict[str, Any]:
    cases = mismatches = 0
    for s in range(worlds):
        world = decision_world(random.Random(10_000 + s))
        store = Entities(
            ((e["uid"]["type"], e["uid"]["id"]), from_cedar_value(e["attrs"]),
             [(p["type"], p["id"]) for p in e["parents"]]) for e in world["entities"]
        )  # fmt: skip
        actions = Entities((u.uid, {}, [a for a in u.ancestors if a != u.uid]) for u in store if u.uid[0] == "Action")
        ours = PolicySet.from_text(world["policies"], actions=actions)
        results = cedarpy.is_authorized_batch(
            world["requests"], cedarpy.PolicySet.from_json_str(policies_to_est(list(ours.policies))), world["entities"]
        )
        az = Authorizer(ours)
        for req, res in zip(world["requests"], results, strict=True):
            got = az.is_allowed(uid(req["principal"]), uid(req["action"]), uid(req["resource"]),
                                from_cedar_value(req["context"]), store)  # fmt: skip
            cases += 1
            mismatches += (got.allowed, sorted(got.policy_ids)) != (res.allowed, sorted(res.diagnostics.reasons))
    return {"differential_cases": cases, "differential_mismatches": mismatches}


async def _timed(call: Any) -> float:
    t = time.perf_counter()
    await call()
    return time.perf_counter() - t


async def _bench_filters(app_url: str, tenant: str, reps: int) -> dict[str, Any]:
    model = recruiting_model()
    engine = PolicyEngine(model, recruiting_policies().platform.text)
    engine.set_tenant(tenant, TENANT_POLICIES)
    by_policy = Guardrails(ACCESS, ROW_RULES, engine)
    ratios: list[float] = []
    skipped = 0
    async with AsyncConnectionPool(app_url, min_size=1, max_size=2, open=False) as pool:
        async with atransaction(pool, Principal(tenant, None, Role.ADMIN)) as conn:
            cur = await conn.execute(
                "select id from users where tenant_id = %s and role = 'recruiter' limit 1", (tenant,)
            )
            row = await cur.fetchone()
        principal = Principal(tenant, row[0] if row else None, Role.RECRUITER)
        for case in SUITE:
            text = case["dsl"]
            static = with_policy_rules(ROW_RULES, engine, principal, model, to_json(parse_text(text)))
            by_hand = Guardrails(ACCESS, static)

            def policy(q: str = text) -> Any:
                return arun(pool, principal, q, model=model, guard=by_policy)

            def hand(q: str = text, guard: Guardrails = by_hand) -> Any:
                return arun(pool, principal, q, model=model, guard=guard)

            try:
                a, b = await policy(), await hand()
            except (QueryError, QueryLimitError):
                skipped += 1
                continue
            if a.rows != b.rows:
                raise SystemExit(f"policy and hand-written filters disagree on {case['name']}")
            ours, base = [], []
            for rep in range(reps):
                first, second = (policy, hand) if rep % 2 == 0 else (hand, policy)
                x, y = await _timed(first), await _timed(second)
                ours.append(x if first is policy else y)
                base.append(y if first is policy else x)
            ratios.append(statistics.median(ours) / statistics.median(base))
    return {"filter_overhead_pct": round((geomean(ratios) - 1) * 100, 2),
            "filter_worst_pct": round((max(ratios) - 1) * 100, 2), "filter_queries": len(ratios),
            "filter_skipped": skipped}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k applications, fewer repetitions (< 60 s)")
    args = parser.parse_args()
    applications, reps = (20_000, 4) if args.quick else (200_000, 10)
    started = time.perf_counter()
    figures: dict[str, Any] = {"applications": applications}
    figures.update(bench_decisions(30_000 if args.quick else 300_000))
    figures.update(bench_differential(60 if args.quick else 400))
    with start_test_servers(with_nats=False) as servers:
        db = servers.new_database("bench_policy")
        seed(db.owner_url, applications=applications, tenants=3, seed=11, progress=False)
        with psycopg.connect(db.owner_url) as conn:
            conn.execute("analyze")
            tenant = conn.execute(
                "select tenant_id from applications group by tenant_id order by count(*) desc limit 1"
            ).fetchone()[0]  # type: ignore[index]
        figures.update(asyncio.run(_bench_filters(db.app_url, tenant, reps)))
    figures["wall_s"] = round(time.perf_counter() - started, 1)
    for key, value in figures.items():
        console.print(f"{key:<28} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
