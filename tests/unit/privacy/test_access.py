"""The role-by-classification matrix for every role and class, restricted fields, and the compiler port."""

from __future__ import annotations

import pytest

from pavedroad.privacy import DEFAULT_MATRIX, Classification, FieldAccessPolicy
from pavedroad.query import Classification as Q
from pavedroad.query import FieldUse
from pavedroad.recruiting.reads import ACCESS

C = Classification
# role -> (rows up to, aggregates up to)
EXPECTED = {
    "admin": (C.PERSONAL, C.SENSITIVE),
    "recruiter": (C.PERSONAL, C.PERSONAL),
    "hiring_manager": (C.PERSONAL, C.PERSONAL),
    "interviewer": (C.PERSONAL, C.PERSONAL),
    "compliance": (C.INTERNAL, C.SENSITIVE),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("label", list(Classification))
def test_matrix_for_every_role_and_class(role: str, label: Classification) -> None:
    rows, aggregates = EXPECTED[role]
    assert DEFAULT_MATRIX.allows(role, label) == (label.rank <= rows.rank and label is not C.SENSITIVE)
    assert DEFAULT_MATRIX.allows(role, label, aggregate=True) == (label.rank <= aggregates.rank)


def test_sensitive_is_never_visible_in_rows() -> None:
    assert not any(DEFAULT_MATRIX.allows(role, C.SENSITIVE) for role in EXPECTED)


def test_unknown_roles_see_nothing() -> None:
    assert not DEFAULT_MATRIX.allows("intern", C.PUBLIC)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_compensation_only_for_roles_allowed_it(role: str) -> None:
    allowed = ACCESS.allows_field(role, "offers", "salary", C.CONFIDENTIAL)
    assert allowed == (role in {"admin", "recruiter"})
    assert ACCESS.allows_field(role, "offers", "status", C.CONFIDENTIAL) == (role != "compliance")


def test_policy_port_maps_compiler_classes_and_versions_the_matrix() -> None:
    policy = FieldAccessPolicy(ACCESS)
    assert policy.allows("recruiter", FieldUse("candidates", "email", Q.personal))
    assert not policy.allows("compliance", FieldUse("candidates", "email", Q.personal))
    assert not policy.allows("hiring_manager", FieldUse("offers", "salary", Q.confidential))
    assert policy.allows("compliance", FieldUse("eeoc_responses", "gender", Q.sensitive))  # aggregates only
    assert not policy.allows("recruiter", FieldUse("eeoc_responses", "gender", Q.sensitive))
    assert policy.version != FieldAccessPolicy(DEFAULT_MATRIX).version


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_a_custom_field_classified_compensation_follows_its_category(role: str) -> None:
    """``custom.expected_salary`` defined as compensation: the same roles as offers' salary, nobody else."""
    use = FieldUse("applications", "custom.expected_salary", Q.confidential, custom=True, category="compensation")
    assert FieldAccessPolicy(ACCESS).allows(role, use) == (role in {"admin", "recruiter"})


def test_a_category_the_matrix_does_not_know_is_refused_to_everyone() -> None:
    use = FieldUse("applications", "custom.bonus", Q.internal, custom=True, category="unknown:bonus")
    assert not any(FieldAccessPolicy(ACCESS).allows(role, use) for role in EXPECTED)
