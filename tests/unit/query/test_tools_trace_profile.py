"""The compile profiler: per-pass times add up to the total, the traced passes are the compiler's."""

from __future__ import annotations

import itertools

import pytest

from pavedroad.query import PASSES, QueryError, TenantSchema, compile_query
from pavedroad.querytools import parse_suite, profile_query, profile_suite, trace_compile
from pavedroad.recruiting.model import recruiting_model

MODEL = recruiting_model()
SCHEMA = TenantSchema("acme")
QUERY = 'applications | where status = "active" | group job.department.name | aggregate n = count(interviews)'


def ticking(step: float = 0.001) -> object:
    counter = itertools.count()
    return lambda: next(counter) * step


def test_trace_runs_every_pass_in_pipeline_order_and_ends_with_the_compilers_sql() -> None:
    trace = trace_compile(QUERY, model=MODEL, schema=SCHEMA)
    assert [p.name for p in trace.passes] == [p.__name__ for p in PASSES]
    assert trace.final.sql is not None
    assert trace.final.sql.sql(dialect="postgres") == compile_query(QUERY, model=MODEL, schema=SCHEMA).sql


def test_per_pass_times_sum_to_the_total() -> None:
    """Each pass is timed back to back with one clock, so the parts add up to the whole."""
    trace = trace_compile(QUERY, model=MODEL, schema=SCHEMA, clock=ticking())  # type: ignore[arg-type]
    assert [p.seconds for p in trace.passes] == pytest.approx([0.001] * len(PASSES))
    assert trace.total_s == pytest.approx(0.001 * len(PASSES))
    real = trace_compile(QUERY, model=MODEL, schema=SCHEMA)
    assert sum(p.seconds for p in real.passes) == pytest.approx(real.total_s, rel=1e-9, abs=1e-12)


def test_profile_per_pass_figures_sum_to_the_total() -> None:
    prof = profile_query("q", QUERY, model=MODEL, schema=SCHEMA, reps=15)
    assert list(prof.passes) == [p.__name__ for p in PASSES]
    assert sum(prof.passes.values()) == pytest.approx(prof.total_ms, rel=1e-9)
    exact = profile_query("q", QUERY, model=MODEL, schema=SCHEMA, reps=3, clock=ticking(0.002))  # type: ignore[arg-type]
    assert sum(exact.passes.values()) == pytest.approx(exact.total_ms)


def test_suite_profile_ranks_passes_and_shapes_and_reports_errors() -> None:
    suite = parse_suite(f"{QUERY}\n\njobs | aggregate n = count()\n\njobs | group titel")
    prof = profile_suite(suite, model=MODEL, schema=SCHEMA, reps=3)
    totals = prof.pass_totals()
    assert [t[1] for t in totals] == sorted((t[1] for t in totals), reverse=True)
    assert sum(t[2] for t in totals) == pytest.approx(1.0, abs=0.01)
    assert [q.name for q in prof.slowest()] == sorted(["q1", "q2"], key=lambda n: -prof.queries[int(n[1]) - 1].total_ms)
    assert prof.queries[2].error is not None
    assert prof.queries[2].error.startswith("Q104")
    assert (
        prof.queries[0].shape
        == "applications | where status = ?s | group job.department.name | aggregate n = count(interviews)"
    )
    assert prof.to_dict()["passes"][0]["pass"] == totals[0][0]


def test_trace_errors_render_with_their_source() -> None:
    with pytest.raises(QueryError) as info:
        trace_compile("jobs\n| group titel", model=MODEL, schema=SCHEMA)
    assert "did you mean 'title'" in info.value.render()
    assert "^^^^^" in info.value.render()
