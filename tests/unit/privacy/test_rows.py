"""Relationship rules rewrite the query's JSON form: one leading where per rule, ids as literals."""

from __future__ import annotations

from pavedroad.privacy import RowRule, restrict
from pavedroad.privacy.rows import rules_for
from pavedroad.query import from_json, parse_text, to_json, to_text
from pavedroad.recruiting.reads import ROW_RULES


def test_rules_apply_by_root_entity_and_role() -> None:
    assert [r.field for r in rules_for(ROW_RULES, "applications", "hiring_manager")] == ["id"]
    assert rules_for(ROW_RULES, "applications", "admin") == []
    assert {r.field for r in rules_for(ROW_RULES, "applications", "interviewer")} == {"job_id", "id"}


def test_restrict_prepends_conditions_that_compile_as_filters() -> None:
    rule = RowRule(
        "applications",
        frozenset({"recruiter"}),
        "job_id",
        "select 1",
        {"op": "=", "args": [{"field": "job.confidential"}, {"value": False}]},
    )
    query = to_json(parse_text("applications | group status | aggregate n = count()"))
    text = to_text(from_json(restrict(query, [rule], [[3, 4]], 7)))
    assert text.splitlines()[1] == "| where job.confidential = false or job_id in (3, 4)"


def test_no_grant_means_no_rows() -> None:
    rule = RowRule("applications", frozenset({"hiring_manager"}), "id", "select 1")
    query = restrict({"from": "applications", "steps": []}, [rule], [[]], 7)
    assert query["steps"] == [{"where": {"op": "=", "args": [{"value": 1}, {"value": 0}]}}]


def test_user_marker_becomes_the_callers_id() -> None:
    rule = RowRule(
        "scorecards",
        frozenset({"interviewer"}),
        "application_id",
        "select 1",
        {"op": "=", "args": [{"field": "interviewer_id"}, {"user": True}]},
    )
    query = restrict({"from": "scorecards", "steps": []}, [rule], [[]], 42)
    assert query["steps"][0]["where"]["args"][0] == {"op": "=", "args": [{"field": "interviewer_id"}, {"value": 42}]}
