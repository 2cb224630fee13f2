"""Row filters as conditions: what the partial evaluation of ``read`` leaves for SQL."""

from __future__ import annotations

from pavedroad.policy import PolicyEngine
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role

READ_ALL = '@id("all") permit (principal, action == Action::"read", resource);\n'
RECRUITER = Principal("acme", 3, Role.RECRUITER)


def _engine(text: str) -> PolicyEngine:
    return PolicyEngine(recruiting_model(), text)


def test_principal_and_context_are_decided_before_sql() -> None:
    engine = _engine(READ_ALL + '@id("f") forbid (principal, action == Action::"read", resource is jobs)'
                     ' when { resource.confidential && !(principal in Role::"admin") };')  # fmt: skip
    assert engine.row_filter(RECRUITER, "jobs") == {"op": "not", "args": [{"field": "confidential"}]}
    assert engine.row_filter(Principal("acme", 1, Role.ADMIN), "jobs") is True
    assert engine.row_filter(RECRUITER, "candidates") is True


def test_a_nullable_attribute_holds_only_where_it_is_present() -> None:
    engine = _engine('@id("p") permit (principal, action == Action::"read", resource is applications)'
                     ' when { resource has archive_reason && resource.archive_reason == "withdrew" };')  # fmt: skip
    assert engine.row_filter(RECRUITER, "applications") == {"op": "and", "args": [
        {"is_null": {"field": "archive_reason"}, "negated": True},
        {"op": "=", "args": [{"field": "archive_reason"}, {"value": "withdrew"}]},
    ]}  # fmt: skip
    assert engine.row_filter(RECRUITER, "jobs") is False  # nothing permits reading jobs


def test_a_principal_attribute_becomes_a_value() -> None:
    engine = _engine('@id("own") permit (principal, action == Action::"read", resource is scorecards)'
                     ' when { principal has user_id && resource.interviewer_id == principal.user_id };')  # fmt: skip
    assert engine.row_filter(RECRUITER, "scorecards") == {"op": "=", "args": [{"field": "interviewer_id"},
                                                                               {"value": 3}]}  # fmt: skip
    assert engine.row_filter(Principal("acme", None, Role.RECRUITER), "scorecards") is False


def test_a_tenant_permit_narrows_only_the_type_it_targets() -> None:
    engine = _engine(READ_ALL)
    engine.set_tenant("acme", '@id("t") permit (principal, action == Action::"read", resource is jobs)'
                              ' when { resource.status == "open" };')  # fmt: skip
    assert engine.row_filter(RECRUITER, "jobs") == {"op": "=", "args": [{"field": "status"}, {"value": "open"}]}
    assert engine.row_filter(RECRUITER, "job_stages") is True
    assert engine.row_filter(Principal("other", 3, Role.RECRUITER), "jobs") is True
