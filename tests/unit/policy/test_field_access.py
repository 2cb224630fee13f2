"""The recruiting platform policies (``policies.cedar``) state the recruiting roles' field access exactly:
on every role, every model field, every classification, restricted category and custom flag, the
policies decide what the role-by-classification matrix (``reads.ACCESS``) decides; and the guard uses them."""

from __future__ import annotations

import itertools

from pavedroad.policy import PolicyFieldAccess
from pavedroad.privacy import FieldAccessPolicy
from pavedroad.query import Classification, FieldUse
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.policies import recruiting_policies
from pavedroad.recruiting.reads import ACCESS, GUARDRAILS

ROLES = ("admin", "recruiter", "hiring_manager", "interviewer", "compliance", "unknown_role")


def test_policies_decide_field_access_as_the_matrix_does() -> None:
    model = recruiting_model()
    ours, matrix = PolicyFieldAccess(recruiting_policies().authorizer()), FieldAccessPolicy(ACCESS)
    uses = [
        FieldUse(entity, name, level, custom, category)
        for entity, ent in model.entities.items()
        for name in [*ent.fields, "salary", "nickname"]
        for level, custom, category in itertools.product(Classification, (False, True), (None, "compensation", "x"))
    ]
    differ = [(role, u) for role in ROLES for u in uses if ours.allows(role, u) != matrix.allows(role, u)]
    assert len(uses) * len(ROLES) > 20_000
    assert differ == []


def test_the_recruiting_guard_decides_field_access_by_policy() -> None:
    policy = GUARDRAILS.field_policy()
    assert isinstance(policy, PolicyFieldAccess)
    salary = FieldUse("offers", "salary", Classification.confidential)
    assert policy.allows("recruiter", salary)
    assert not policy.allows("hiring_manager", salary)
    assert policy.version.startswith("policy-")
