"""The compiled decision path agrees with Cedar's own evaluator (``cedarpy``) on thousands of random
policy sets, entity stores and requests: the same decision and the same deciding policy ids."""

from __future__ import annotations

import random
from typing import Any

import cedarpy

from pavedroad.policy import Authorizer, Entities, PolicySet, uid
from pavedroad.policy.entities import from_cedar_value
from pavedroad.policy.parse import policies_to_est
from pavedroad.testing.cedar_random import decision_world


def _store(ents: list[dict[str, Any]]) -> Entities:
    return Entities(
        ((e["uid"]["type"], e["uid"]["id"]), from_cedar_value(e["attrs"]),
         [(p["type"], p["id"]) for p in e["parents"]])
        for e in ents
    )  # fmt: skip


def run_world(seed: int) -> tuple[int, list[str]]:
    world = decision_world(random.Random(seed))
    store = _store(world["entities"])
    actions = Entities((u.uid, {}, [a for a in u.ancestors if a != u.uid]) for u in store if u.uid[0] == "Action")
    ours = PolicySet.from_text(world["policies"], actions=actions)
    theirs = cedarpy.PolicySet.from_json_str(policies_to_est(list(ours.policies)))
    results = cedarpy.is_authorized_batch(world["requests"], theirs, world["entities"])
    az = Authorizer(ours)
    mismatches = []
    for req, ref in zip(world["requests"], results, strict=True):
        got = az.is_allowed(uid(req["principal"]), uid(req["action"]), uid(req["resource"]),
                            from_cedar_value(req["context"]), store)  # fmt: skip
        want = (ref.allowed, sorted(ref.diagnostics.reasons))
        if (got.allowed, sorted(got.policy_ids)) != want:
            mismatches.append(f"seed {seed} {req}: ours {got} cedar {want}\n{world['policies']}")
    return len(world["requests"]), mismatches


def test_compiled_decisions_equal_cedar_on_random_worlds() -> None:
    cases, mismatches = 0, []
    for seed in range(120):
        n, bad = run_world(seed)
        cases += n
        mismatches += bad
    assert cases >= 3000
    assert not mismatches, mismatches[:3]
