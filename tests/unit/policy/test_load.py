"""Policies load only if the engine can enforce them everywhere: in Python decisions and, for ``read``,
in SQL row filters. Anything else is refused at load with the policy named (never at query time)."""

from __future__ import annotations

import pytest

from pavedroad.policy import PolicyEngine, PolicyError
from pavedroad.recruiting.model import recruiting_model

BASE = '@id("rows") permit (principal, action == Action::"read", resource);'


def _load(text: str) -> PolicyEngine:
    return PolicyEngine(recruiting_model(), text, source="test.cedar")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ('permit (principal, action == Action::"read", resource is jobs) when { resource.title like "a*" };',
         "like on a resource attribute on jobs cannot be compiled to SQL"),
        ('permit (principal, action == Action::"read", resource in jobs::"1");',
         "resource hierarchy"),
        ('permit (principal, action == Action::"read", resource is jobs) when { resource.openings + 1 > 2 };',
         "cannot be compiled to SQL"),
        ('permit (principal, action == Action::"read", resource is jobs) when { [resource.openings].contains(1) };',
         "a set built from resource attributes"),
        ('permit (principal, action == Action::"read", resource is jobs) when { decimal("1.0") == decimal("1.0") };',
         "is not supported by the policy engine"),
        ("permit (principal == ?principal, action, resource);", "templates"),
        ('permit (principal, action == Action::"read", resource is jobs) when { resource.nope == 1 };',
         "do not match the schema"),
        ('permit (principal, action == Action::"fly", resource);', "do not match the schema"),
        ("permit (principal, action, resource) when { ;", "not valid Cedar"),
    ],
)  # fmt: skip
def test_a_policy_the_engine_cannot_enforce_is_refused_at_load(policy: str, message: str) -> None:
    with pytest.raises(PolicyError, match=r"test\.cedar|policy ") as err:
        _load(f"{BASE}\n{policy}")
    assert message in err.value.message
    assert err.value.status == 400


def test_a_tenant_policy_is_checked_the_same_way() -> None:
    engine = _load(BASE)
    with pytest.raises(PolicyError, match="like on a resource attribute"):
        engine.set_tenant("acme", 'forbid (principal, action == Action::"read", resource is jobs) '
                                  'when { resource.title like "*secret*" };')  # fmt: skip
    assert "acme" not in engine.tenants


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(PolicyError, match="two policies have the id 'rows'"):
        _load(f"{BASE}\n{BASE}")


def test_supported_filter_forms_load() -> None:
    engine = _load(
        f"""{BASE}
        forbid (principal, action == Action::"read", resource is jobs)
        when {{ resource.confidential && !(principal in Role::"admin") && resource.department.name != "HR"
                && ["open", "draft"].contains(resource.status) && (if resource.openings > 2 then true else false) }};"""
    )  # fmt: skip
    assert [p.id for p in engine.platform.policies] == ["rows", "policy1"]
