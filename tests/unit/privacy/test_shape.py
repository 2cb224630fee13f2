"""Shape rules for sensitive data: an aggregate over it cannot single a person out (Q304), and tenant
custom fields are judged by the classification they were defined with, like model fields."""

from __future__ import annotations

import pytest

from pavedroad.privacy import check_shape, sensitive_fields
from pavedroad.query import QueryError, TenantSchema, parse_text, to_json
from pavedroad.query.overlay import CustomField
from pavedroad.recruiting.model import recruiting_model

MODEL = recruiting_model()
SCHEMA = TenantSchema(
    "acme",
    2,
    "UTC",
    (
        CustomField("candidates", "religion", "text", "sensitive"),
        CustomField("candidates", "seniority", "single_select", "internal"),
        CustomField("applications", "expected_salary", "number", "compensation"),
    ),
)


def _check(text: str) -> bool:
    return check_shape(MODEL, to_json(parse_text(text)), schema=SCHEMA)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("eeoc_responses | group candidate_id, gender | aggregate n = count()", "candidate_id"),
        ("eeoc_responses | derive who = candidate_id | group who, gender | aggregate n = count()", "candidate_id"),
        ("candidates | group eeoc.gender, city | aggregate n = count()", "city"),  # personal
        ("applications | group job_id, candidate.eeoc.gender | aggregate n = count()", "job_id"),  # a foreign key
        ("candidates | group eeoc.gender | aggregate first = min(email)", "email"),
        ("candidates | where id != 4 | group eeoc.gender | aggregate n = count()", "id"),
        ("candidates | group eeoc.gender | aggregate n = count(applications, candidate_id = 4)", "candidate_id"),
        ("candidates | group custom.religion, id | aggregate n = count()", "id"),  # a sensitive custom field
    ],
)
def test_sensitive_aggregates_cannot_name_a_person(query: str, field: str) -> None:
    with pytest.raises(QueryError, match=f"cannot .*'[a-z_.]*{field}'") as caught:
        _check(query)
    assert caught.value.code == "Q304"
    assert caught.value.hint


@pytest.mark.parametrize("step", ["where n > 3", "take 1", "select n"])
def test_sensitive_aggregates_keep_every_group(step: str) -> None:
    """Dropping groups after aggregate would let a hidden cell be recovered from the visible ones."""
    with pytest.raises(QueryError, match="after aggregate") as caught:
        _check(f"candidates | group eeoc.gender | aggregate n = count() | {step}")
    assert caught.value.code == "Q304"
    assert caught.value.span is not None
    assert caught.value.span.pointer == f"/steps/2/{step.split(maxsplit=1)[0]}"


@pytest.mark.parametrize(
    "query",
    [
        "eeoc_responses | group gender | aggregate n = count(), people = count_distinct(candidate_id)",
        "applications | where job.title = 'x' | group job.title, candidate.eeoc.gender | aggregate n = count()",
        "candidates | group eeoc.gender | aggregate n = count() | derive share = percent_of_total(n) | sort -n",
        "candidates | group city | aggregate n = count() | take 3",  # nothing sensitive: no extra rule
        "candidates | group custom.seniority, id | aggregate n = count()",
    ],
)
def test_reports_that_single_nobody_out_pass(query: str) -> None:
    assert _check(query.replace("'", '"'))


def test_a_sensitive_custom_field_is_sensitive_and_never_in_rows() -> None:
    q = to_json(parse_text("candidates | group custom.religion | aggregate n = count()"))
    assert sensitive_fields(MODEL, q, SCHEMA) == ["custom.religion"]
    assert sensitive_fields(MODEL, q) == []  # without the tenant's definitions it would pass unnoticed
    for text in ("candidates | select id, custom.religion", 'candidates | where custom.religion = "x" | select id'):
        with pytest.raises(QueryError, match=r"unknown field 'custom\.religion' on candidates") as caught:
            _check(text)
        assert caught.value.code == "Q104"
