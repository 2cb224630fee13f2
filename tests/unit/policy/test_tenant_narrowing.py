"""A tenant's policies only narrow the platform's: on random platform and tenant sets, a request the
combination allows is one the platform allows; and the combination is exactly the platform's decision
and the tenant's narrowing (no tenant forbid holds; a tenant permit holds if it has any for the action),
each part decided by Cedar's own evaluator (tenant permits narrow the action and resource type they
target)."""

from __future__ import annotations

import random

import cedarpy

from pavedroad.policy import Authorizer, Entities, PolicySet, uid
from pavedroad.policy.codegen import action_matches, targets
from pavedroad.policy.entities import from_cedar_value
from pavedroad.policy.parse import policies_to_est
from pavedroad.testing.cedar_random import decision_world

from .test_decisions_differential import _store


def _cedar(policies: list, world: dict) -> list[bool]:  # type: ignore[type-arg]
    if not policies:
        return [False] * len(world["requests"])
    ps = cedarpy.PolicySet.from_json_str(policies_to_est(policies))
    return [r.allowed for r in cedarpy.is_authorized_batch(world["requests"], ps, world["entities"])]


def test_a_tenant_never_widens_and_narrows_exactly() -> None:
    checked = widened = narrowed = 0
    for seed in range(60):
        rng = random.Random(seed)
        world = decision_world(rng, policies=4, requests=40)
        tenant_text = decision_world(rng, policies=3)["policies"].replace('@id("p', '@id("t')
        store = _store(world["entities"])
        actions = Entities((u.uid, {}, [a for a in u.ancestors if a != u.uid]) for u in store if u.uid[0] == "Action")
        platform = PolicySet.from_text(world["policies"], actions=actions)
        tenant = PolicySet.from_text(tenant_text, actions=actions)
        combined = Authorizer(platform, tenant)
        allow_all = PolicySet.from_text('@id("all") permit (principal, action, resource);').policies
        base = _cedar(list(platform.policies), world)
        no_forbid = _cedar([*allow_all, *(p for p in tenant.policies if not p.permit)], world)
        some_permit = _cedar([p for p in tenant.policies if p.permit], world)
        for i, req in enumerate(world["requests"]):
            got = combined.is_allowed(uid(req["principal"]), uid(req["action"]), uid(req["resource"]),
                                      from_cedar_value(req["context"]), store)  # fmt: skip
            action = actions.entity(uid(req["action"]))
            has_permits = any(p.permit and action_matches(p.action, action) and targets(p.resource, "Doc")
                              for p in tenant.policies)  # fmt: skip
            want = base[i] and no_forbid[i] and (some_permit[i] or not has_permits)
            checked += 1
            widened += got.allowed and not base[i]
            narrowed += base[i] and not got.allowed
            assert got.allowed == want, (seed, req, got, world["policies"], tenant_text)
    assert checked >= 2000
    assert widened == 0
    assert narrowed > 0  # the tenant sets did narrow something: the property was exercised
