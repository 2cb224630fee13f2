"""Pure parts of the query tools: database plans read, plans compared, candidates proposed, suites read."""

from __future__ import annotations

import pytest
from rich.tree import Tree

from pavedroad.errors import InvalidInput
from pavedroad.query import CustomField, TenantSchema
from pavedroad.querytools import (
    KeyPart,
    candidates,
    compare_plans,
    explain_command,
    from_duckdb_profile,
    from_postgres,
    parse_suite,
    trace_compile,
    without_estimates,
)
from pavedroad.querytools.top import pg_form
from pavedroad.recruiting.model import recruiting_model

MODEL = recruiting_model()
SCHEMA = TenantSchema(
    "acme",
    1,
    "UTC",
    (
        CustomField("applications", "expected_salary", "number", "confidential"),
        CustomField("candidates", "seniority", "single_select", "internal"),
    ),
)

PG = [{
    "Plan": {
        "Node Type": "Aggregate", "Strategy": "Hashed", "Total Cost": 200.5, "Plan Rows": 5,
        "Actual Rows": 4, "Actual Loops": 1, "Actual Total Time": 9.0,
        "Plans": [{
            "Node Type": "Hash Join", "Join Type": "Left", "Parent Relationship": "Outer", "Total Cost": 180.0,
            "Plan Rows": 900, "Actual Rows": 1000, "Actual Loops": 1, "Actual Total Time": 8.0,
            "Hash Cond": "(t0.source_id = t1.id)",
            "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "applications", "Alias": "t0", "Total Cost": 150.0,
                 "Plan Rows": 900, "Actual Rows": 1000, "Actual Loops": 1, "Actual Total Time": 6.5,
                 "Filter": "(status = 'active'::text)", "Shared Hit Blocks": 40, "Shared Read Blocks": 2},
                {"Node Type": "Index Scan", "Relation Name": "sources", "Index Name": "sources_pkey",
                 "Total Cost": 8.0, "Plan Rows": 10, "Actual Rows": 10, "Actual Loops": 2,
                 "Actual Total Time": 0.25},
            ],
        }],
    },
    "Planning Time": 0.4, "Execution Time": 9.2,
}]  # fmt: skip


def test_postgres_plan_self_times_and_the_hottest_node() -> None:
    plan = from_postgres(PG)
    assert plan.analyzed
    assert plan.total_cost == 200.5
    assert [n.self_ms for n in plan.nodes] == [1.0, 1.0, 6.5, 0.5]  # totals times loops, less children
    hot = plan.hottest()
    assert hot is not None
    assert hot.relation == "applications"
    assert sum(n.hot for n in plan.nodes) == 1
    assert plan.shape() == ["Aggregate", "  Hash Join (Left)", "    Seq Scan on applications",
                            "    Index Scan using sources_pkey on sources"]  # fmt: skip
    assert plan.nodes[2].detail == {"Filter": "(status = 'active'::text)"}
    assert plan.to_dict()["shape"] == plan.shape()


def test_a_plan_without_estimates_keeps_shape_actual_rows_and_times_only() -> None:
    """What a tenant may see: no estimated rows or costs, no buffer counts of shared tables."""
    from pavedroad.querytools.render import plan_text, render_plan

    full = from_postgres(PG)
    plan = without_estimates(full)
    assert plan.shape() == full.shape()
    assert plan.total_cost is None
    assert all(n.est_rows is None and n.est_cost is None for n in plan.nodes)
    assert all(n.shared_hit is None and n.shared_read is None for n in plan.nodes)
    assert [n.actual_rows for n in plan.nodes] == [n.actual_rows for n in full.nodes]
    assert plan.misestimates() == []
    assert "estimates hidden" in plan_text(plan)
    tree = render_plan(plan)
    assert isinstance(tree, Tree)
    assert "estimates hidden" in str(tree.label)
    body = plan.to_dict()
    assert "200.5" not in str(body)
    assert "900" not in str(body)


def test_a_plain_explain_has_no_timings_and_no_hot_node() -> None:
    bare = [{"Plan": {"Node Type": "Seq Scan", "Relation Name": "jobs", "Total Cost": 3.5, "Plan Rows": 10}}]
    plan = from_postgres(bare)
    assert not plan.analyzed
    assert plan.hottest() is None
    assert plan.nodes[0].actual_rows is None


def test_duckdb_profile_reads_operators_cardinalities_and_times() -> None:
    doc = {"children": [{"type": "PROJECTION", "timing": 0.001, "operator_cardinality": 3,
                         "extra_info": {"Estimated Cardinality": "3"},
                         "children": [{"type": "TABLE_SCAN", "timing": 0.004, "operator_cardinality": 3000,
                                       "extra_info": {"Table": "memory.main.jobs", "Filters": "x > 1",
                                                      "Estimated Cardinality": "2000"}}]}]}  # fmt: skip
    plan = from_duckdb_profile(doc)
    assert plan.shape() == ["PROJECTION", "  TABLE_SCAN on jobs"]
    assert plan.hottest().node == "TABLE_SCAN"  # type: ignore[union-attr]
    assert plan.nodes[1].est_rows == 2000


def _doc(cost: float, shape: list[str]) -> dict[str, object]:
    return {"server_major": 18, "plans": {"q": {"cost": cost, "shape": shape}}}


def test_compare_fails_only_when_cost_grows_past_the_threshold() -> None:
    base = _doc(100.0, ["Aggregate", "  Index Scan using a on t"])
    assert compare_plans(base, _doc(120.0, ["Aggregate", "  Index Scan using a on t"]), 0.25).ok
    worse = compare_plans(base, _doc(130.0, ["Aggregate", "  Seq Scan on t"]), 0.25)
    assert not worse.ok
    assert worse.regressions[0].name == "q"
    assert "-  Index Scan using a on t" in worse.regressions[0].diff
    assert "+  Seq Scan on t" in worse.regressions[0].diff
    better = compare_plans(base, _doc(50.0, ["Aggregate", "  Seq Scan on t"]), 0.25)
    assert better.ok
    assert [d.name for d in better.changed] == ["q"]
    removed = compare_plans(base, {"server_major": 17, "plans": {"other": {"cost": 1, "shape": []}}})
    assert removed.ok
    assert removed.new == ["other"]
    assert "server major version" in removed.notes[0]
    assert "q: no longer in the suite" in removed.notes[1]
    broken = compare_plans(base, {"server_major": 18, "plans": {}, "errors": {"q": "Q104 unknown field"}})
    assert not broken.ok
    assert broken.missing == ["q"]


def _cands(query: str) -> list[str]:
    return [c.label for c in candidates(trace_compile(query, model=MODEL, schema=SCHEMA), MODEL)]


def test_candidates_lead_with_the_tenant_column() -> None:
    labels = _cands('applications | where status = "hired" and applied_at >= now() - 30 days | aggregate n = count()')
    assert "applications (tenant_id, status)" in labels
    assert "applications (tenant_id, applied_at)" in labels
    assert "applications (tenant_id, status, applied_at)" in labels
    assert "applications (tenant_id, applied_at) WHERE status = 'hired'" in labels
    assert all(label.split("(", 1)[1].startswith("tenant_id") for label in labels)


def test_candidates_for_custom_fields_joins_sorts_and_branches() -> None:
    labels = _cands("applications | where custom.expected_salary > 100000 and job.title = \"x\""
                    " | group source.name | aggregate n = count(interviews)")  # fmt: skip
    assert "applications (tenant_id, ((custom ->> 'expected_salary')::double precision))" in labels
    assert "jobs (tenant_id, title)" in labels
    assert "interviews (tenant_id, application_id)" in labels
    assert not any("WHERE title" in label for label in labels)  # partial indexes only on the query's own rows
    assert _cands('candidates | where custom.seniority = "senior" | aggregate n = count()') == [
        "candidates (tenant_id, (custom ->> 'seniority'))"
    ]
    assert "applications (tenant_id, applied_at)" in _cands("applications | select id | sort -applied_at | take 10")


def test_candidate_names_are_stable_and_distinct() -> None:
    cs = candidates(trace_compile('applications | where status = "hired" | aggregate n = count()', model=MODEL,
                                  schema=SCHEMA), MODEL)  # fmt: skip
    assert len({c.name for c in cs}) == len(cs)
    assert cs[0].keys[0] == KeyPart("tenant_id")
    assert cs[0].name == candidates(trace_compile('applications | where status = "x" | aggregate n = count()',
                                                  model=MODEL, schema=SCHEMA), MODEL)[0].name  # fmt: skip


def test_pg_form_numbers_each_name_once_in_order() -> None:
    assert pg_form("a = %(tenant)s and b = %(l0)s and c = %(tenant)s") == "a = $1 and b = $2 and c = $1"


def test_explain_command_turns_lifted_literals_into_parameters() -> None:
    cmd = explain_command("jobs | where title = ?s and openings > ?i | select id", "acme", "recruiter")
    assert cmd == ("pavedroad query explain 'jobs | where title = $v1 and openings > $v2 | select id' --tenant acme"
                   " --role recruiter --analyze --param v1=<text> --param v2=<number>")  # fmt: skip


def test_suite_files_in_both_forms() -> None:
    yaml_suite = parse_suite(
        "- name: a\n  dsl: jobs | aggregate n = count()\n  sql: select 1\n- name: b\n  query: jobs\n"
    )
    assert [(q.name, q.query) for q in yaml_suite] == [("a", "jobs | aggregate n = count()"), ("b", "jobs")]
    text_suite = parse_suite("jobs\n| aggregate n = count()\n\n\ncandidates\n")
    assert [(q.name, q.query) for q in text_suite] == [("q1", "jobs\n| aggregate n = count()"), ("q2", "candidates")]
    with pytest.raises(InvalidInput, match="repeat"):
        parse_suite("- {name: a, dsl: jobs}\n- {name: a, dsl: jobs}\n")
    with pytest.raises(InvalidInput, match="no 'dsl'"):
        parse_suite("- {name: a}\n")
    with pytest.raises(InvalidInput, match="no queries"):
        parse_suite("\n\n")


def test_misestimates_are_nodes_an_order_of_magnitude_off_either_way() -> None:
    scan = {"Node Type": "Seq Scan", "Relation Name": "applications", "Plan Rows": 2000, "Actual Rows": 1900,
            "Actual Loops": 1, "Actual Total Time": 1.0, "Total Cost": 50.0}  # fmt: skip
    loop = {"Node Type": "Nested Loop", "Plan Rows": 1, "Actual Rows": 142, "Actual Loops": 1,
            "Actual Total Time": 3.0, "Total Cost": 70.0, "Sort Key": ["a", "b desc"], "Plans": [scan]}  # fmt: skip
    doc = [{"Plan": loop}]
    plan = from_postgres(doc)
    assert [n.node for n in plan.misestimates()] == ["Nested Loop"]
    assert plan.nodes[0].detail["Sort Key"] == "a, b desc"
