"""A remembered shape check is only reused for exactly what it judged: the same query, the same
entities the role's rules narrow, the same tenant custom fields; a refusal is judged every time."""

from __future__ import annotations

import pytest

from pavedroad.privacy.rows import RowRule
from pavedroad.privacy.shape import checked_shape
from pavedroad.query import QueryError, TenantSchema, parse_text, to_json
from pavedroad.query.overlay import CustomField
from pavedroad.recruiting.model import recruiting_model

MODEL = recruiting_model()


def _schema(classification: str, version: int = 3) -> TenantSchema:
    return TenantSchema("acme", version, "UTC", (CustomField("candidates", "faith", "text", classification),))


def test_a_field_reclassified_sensitive_is_refused_after_a_passed_check() -> None:
    q = to_json(parse_text("candidates | select id, custom.faith"))
    assert checked_shape(MODEL, q, schema=_schema("internal")) == (False, False)
    for schema in (_schema("sensitive", version=4), _schema("sensitive")):  # moved on, or a hand-built schema
        with pytest.raises(QueryError, match=r"unknown field 'custom\.faith'"):
            checked_shape(MODEL, q, schema=schema)


def test_a_rule_narrowing_a_related_entity_is_judged_after_a_passed_check() -> None:
    q = to_json(parse_text("applications | select id, candidate.city"))
    assert checked_shape(MODEL, q, role="recruiter") == (False, False)
    rule = RowRule("candidates", frozenset({"recruiter"}), "id", "select 1")
    with pytest.raises(QueryError, match="unknown field 'candidate'"):
        checked_shape(MODEL, q, (rule,), "recruiter")
    assert checked_shape(MODEL, q, (rule,), "admin") == (False, False)  # the rule is not the admin's


def test_a_refusal_is_raised_again_and_sensitive_aggregates_are_reported() -> None:
    bad = to_json(parse_text("candidates | group eeoc.gender, city | aggregate n = count()"))
    for _ in range(2):
        with pytest.raises(QueryError, match="cannot group by 'city'"):
            checked_shape(MODEL, bad)
    good = to_json(parse_text("candidates | group eeoc.gender | aggregate n = count()"))
    assert checked_shape(MODEL, good) == checked_shape(MODEL, good) == (True, True)
