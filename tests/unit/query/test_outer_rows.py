"""Relation conditions that read the outer row: ``reached(stage.name)``, ``outer.``, ambiguous paths, and
parameters beside intervals. Answers are checked by running the compiled SQL on DuckDB over a few rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from pavedroad.query import Compiler, QueryError, TenantSchema
from pavedroad.recruiting.model import recruiting_model

SCHEMA = TenantSchema("acme", 1, "UTC", ())

# Stages 1 Screen, 2 Onsite (tenant acme) and a look-alike stage 9 "Onsite" of another tenant.
# a1: now at Onsite, moved into Screen and Onsite        -> reached(stage.name) true
# a2: now at Onsite, only ever moved into Screen        -> false
# a3: now at Screen, moved into Screen                   -> true
# a4: now at Screen, only ever moved into Onsite         -> false
# Interviews: a1 at Onsite (its current stage), a2 at Screen (not its current stage).
_ROWS = {
    "job_stages (tenant_id, id, name)": [("acme", 1, "Screen"), ("acme", 2, "Onsite"), ("other", 9, "Onsite")],
    "applications (tenant_id, id, current_stage_id, status)": [
        ("acme", 1, 2, "active"), ("acme", 2, 2, "active"), ("acme", 3, 1, "active"), ("acme", 4, 1, "active"),
    ],
    "stage_transitions (tenant_id, id, application_id, to_stage_id)": [
        ("acme", 1, 1, 1), ("acme", 2, 1, 2), ("acme", 3, 2, 1), ("acme", 4, 3, 1), ("acme", 5, 4, 2),
    ],
    "interviews (tenant_id, id, application_id, stage_id, status)": [
        ("acme", 1, 1, 2, "completed"), ("acme", 2, 2, 1, "completed"),
    ],
}  # fmt: skip


def compile_(text: str, dialect: str = "postgres", **kw: Any) -> Any:
    return Compiler().compile(text, model=recruiting_model(), schema=SCHEMA, dialect=dialect, **kw)  # type: ignore[arg-type]


def answer(text: str) -> list[tuple[Any, ...]]:
    """The rows ``text`` yields on DuckDB over ``_ROWS`` (only the columns the queries here read)."""
    con = duckdb.connect()
    for table, rows in _ROWS.items():
        name, cols = table.split(" ", 1)
        names = [c.strip() for c in cols.strip("()").split(",")]
        types = ", ".join(f"{c} {'VARCHAR' if c in ('tenant_id', 'name', 'status') else 'BIGINT'}" for c in names)
        con.execute(f"CREATE TABLE {name} ({types})")
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in names)})", rows)
    compiled = compile_(text, "duckdb")
    return con.execute(compiled.sql, compiled.params).fetchall()


def reached_count() -> int:
    """``count()`` of applications that reached the stage they are in now (run by the ``python -O`` test)."""
    return int(answer("applications | where reached(stage.name) | aggregate n = count()")[0][0])


def test_a_model_function_of_an_outer_column_compiles_and_answers_correctly() -> None:
    """Once an AssertionError ("column outside its scope"), and under ``python -O`` SQL reading the wrong table."""
    assert reached_count() == 2
    ids = answer("applications | where not reached(stage.name) | select id | sort id")
    assert ids == [(2,), (4,)]


def test_outer_prefix_reads_the_outer_row() -> None:
    """Applications interviewed at the stage they are in now: only a1."""
    q = "applications | where any(interviews, interviews.stage.name = outer.stage.name) | select id"
    assert answer(q) == [(1,)]
    q = 'applications | where any(interviews, outer.status = "active" and status = "completed") | select id | sort id'
    assert answer(q) == [(1,), (2,)]


def test_a_path_through_a_relation_both_rows_have_is_refused_naming_both_readings() -> None:
    with pytest.raises(QueryError) as info:
        compile_('applications | where any(interviews, stage.name = "Onsite") | aggregate n = count()')
    err = info.value
    assert err.code == "Q110"
    assert "interviews.stage.name" in (err.hint or "")
    assert "outer.stage.name" in (err.hint or "")
    assert err.span is not None
    assert (err.span.start, err.span.end) == (37, 47)  # the path itself


def test_plain_fields_still_bind_to_the_related_row() -> None:
    """``status`` inside ``any(interviews, …)`` is the interview's, as in every existing report."""
    assert answer('applications | where any(interviews, status = "completed") | select id | sort id') == [(1,), (2,)]


def test_outer_outside_a_relation_condition_is_refused() -> None:
    with pytest.raises(QueryError, match=r"'outer\.' names the row outside") as info:
        compile_('applications | where outer.status = "active"')
    assert info.value.hint == "drop 'outer.': write status"


def test_an_outer_column_in_a_relation_aggregate_used_as_a_value_reads_each_rows_own() -> None:
    """Outside a where filter the related rows are aggregated in a LATERAL branch correlated to the row."""
    rows = answer("applications | select id, r = reached(stage.name), "
                  "into_current = count(transitions, to_stage.name = outer.stage.name) | sort id")  # fmt: skip
    assert rows == [(1, True, 1), (2, False, 0), (3, True, 1), (4, False, 0)]
    assert answer("applications | aggregate n = count(), r = rate(reached(stage.name))") == [(4, 0.5)]


def test_an_outer_column_across_a_one_to_many_relation_is_refused() -> None:
    with pytest.raises(QueryError) as info:
        compile_("applications | where any(interviews, scheduled_at > outer.offers.extended_at)")
    assert info.value.code == "Q302"


def test_a_parameter_shifted_by_an_interval_is_an_instant() -> None:
    """``$d - 90 days`` once typed ``$d`` as an interval and refused every date."""
    c = compile_("applications | where applied_at >= $d - 90 days | aggregate n = count()", params={"d": "2024-05-01"})
    assert c.params["p_d"] == datetime(2024, 5, 1)
    c = compile_("offers | where start_date > $d + 1 week | aggregate n = count()", params={"d": "2024-05-01"})
    assert c.params["p_d"] == date(2024, 5, 1)  # the context is a date, so the parameter is one
    c = compile_("applications | where 1 week + $d > applied_at | aggregate n = count()", params={"d": "2024-05-01"})
    assert c.params["p_d"] == datetime(2024, 5, 1)


def test_a_declared_parameter_type_wins() -> None:
    c = compile_("applications | where applied_at >= $d - 90 days | aggregate n = count()",
                 params={"d": "2024-05-01"}, param_types={"d": "date"})  # fmt: skip
    assert c.params["p_d"] == date(2024, 5, 1)
