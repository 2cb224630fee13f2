"""Queries through the guardrails on real data: role matrix and relationship rules, sensitive data
only in suppressed aggregates, hostile literals stay data, and every run or refusal is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from pavedroad.query import QueryError, RunOptions, run
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import GUARDRAILS
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant


@pytest.fixture
def world(database: TestDatabase) -> World:
    seed_tenant(database.owner_url, "beta", candidates=4)
    return seed_tenant(database.owner_url, "alpha", candidates=9)


@pytest.fixture
def pool(database: TestDatabase) -> Iterator[ConnectionPool]:
    with ConnectionPool(database.app_url, min_size=1, max_size=2) as p:
        yield p


def _run(
    pool: ConnectionPool, world: World, role: str, query: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    principal = Principal(world.tenant, world.users[role], Role(role))
    result = run(pool, principal, query, model=recruiting_model(), guard=GUARDRAILS, options=RunOptions(params=params))
    return result.to_dict()


def test_admin_sees_every_application_of_the_tenant(pool: ConnectionPool, world: World) -> None:
    body = _run(pool, world, "admin", "applications | select id | sort id")
    assert [r[0] for r in body["rows"]] == sorted(world.applications)  # type: ignore[union-attr]


def test_hiring_manager_sees_applications_of_own_jobs_only(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    with psycopg.connect(database.owner_url) as conn:  # take the manager off the confidential job's team
        conn.execute("delete from job_hiring_team where tenant_id = 'alpha' and job_id = %s", (world.jobs["secret"],))
    body = _run(pool, world, "hiring_manager", "applications | select id, job_id")
    assert {r[1] for r in body["rows"]} == {world.jobs["open"]}  # type: ignore[union-attr]


def test_confidential_jobs_only_for_the_hiring_team(pool: ConnectionPool, world: World) -> None:
    body = _run(pool, world, "recruiter", "applications | select id, job_id")
    assert world.jobs["secret"] not in {r[1] for r in body["rows"]}  # type: ignore[union-attr]
    jobs = _run(pool, world, "recruiter", "jobs | select id")
    assert [r[0] for r in jobs["rows"]] == [world.jobs["open"]]  # type: ignore[union-attr]
    managers = _run(pool, world, "hiring_manager", "jobs | select id | sort id")
    assert [r[0] for r in managers["rows"]] == sorted(world.jobs.values())  # type: ignore[union-attr]


def test_interviewer_sees_only_candidates_they_interview(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "delete from interview_participants where tenant_id = 'alpha' and user_id = %s and interview_id <> %s",
            (world.users["interviewer"], world.interviews[0]),
        )
    body = _run(pool, world, "interviewer", "candidates | select id, first_name")
    assert [r[0] for r in body["rows"]] == [world.candidates[0]]  # type: ignore[union-attr]


def test_interviewer_sees_others_feedback_only_after_submitting(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    assert _run(pool, world, "interviewer", "scorecards | select id")["rows"] == []
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "insert into scorecards (tenant_id, interview_id, application_id, interviewer_id, recommendation,"
            " overall_rating, submitted_at) values ('alpha', %s, %s, %s, 'no', 2, now())",
            (world.interviews[0], world.applications[0], world.users["interviewer"]),
        )
    rows = _run(pool, world, "interviewer", "scorecards | select application_id, overall_rating")["rows"]
    assert {r[0] for r in rows} == {world.applications[0]}  # type: ignore[union-attr]
    assert len(rows) == 2  # type: ignore[arg-type]  # own and the other interviewer's


def test_compensation_and_personal_fields_read_as_unknown(pool: ConnectionPool, world: World) -> None:
    with pytest.raises(QueryError, match="unknown field 'salary'"):
        _run(pool, world, "hiring_manager", "offers | select id, salary")
    with pytest.raises(QueryError, match="unknown field 'email'"):
        _run(pool, world, "compliance", "candidates | select email")
    assert _run(pool, world, "recruiter", "offers | aggregate total = sum(salary)")["rows"]


def test_measures_built_from_confidential_fields_are_confidential(pool: ConnectionPool, world: World) -> None:
    body = _run(pool, world, "admin", "offers | group status | aggregate avg_pay = avg(salary)")
    assert {c["name"]: c["classification"] for c in body["columns"]}["avg_pay"] == "confidential"  # type: ignore[index]


def test_sensitive_fields_only_in_aggregates(pool: ConnectionPool, world: World) -> None:
    with pytest.raises(QueryError, match="unknown field 'gender'"):
        _run(pool, world, "admin", "candidates | select first_name, eeoc.gender")
    with pytest.raises(QueryError, match="unknown field 'gender'"):
        _run(pool, world, "admin", 'candidates | where eeoc.gender = "female" | select first_name')
    with pytest.raises(QueryError, match="unknown field 'gender'"):
        _run(pool, world, "recruiter", "candidates | group eeoc.gender | aggregate n = count()")


def test_small_groups_are_suppressed_with_a_complement(pool: ConnectionPool, world: World) -> None:
    """9 candidates: 3 female, 3 male, 3 non-binary — all below k=5, so every cell is hidden."""
    body = _run(pool, world, "compliance", "candidates | group eeoc.gender | aggregate n = count()")
    assert body["suppressed"] == [True, True, True]
    assert all(r[1] is None for r in body["rows"])  # type: ignore[union-attr]
    assert "fewer than 5 people" in str(body["suppression"])


def test_per_tenant_k_and_visible_groups(pool: ConnectionPool, world: World, database: TestDatabase) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update tenants set min_group_size = 3 where tenant_id = 'alpha'")
    body = _run(pool, world, "compliance", "candidates | group eeoc.gender | aggregate n = count() | sort n")
    assert "suppressed" not in body
    assert [r[1] for r in body["rows"]] == [3, 3, 3]  # type: ignore[union-attr]


def test_a_filter_cannot_isolate_a_small_difference(pool: ConnectionPool, world: World, database: TestDatabase) -> None:
    """Unfiltered, each gender has 3 (k=2 shows them); filtered to this year's candidates, female has 2:
    the one older female would be revealed by subtraction, so the filtered female cell is hidden (its key
    with it), and another with it so the total does not give it back."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update tenants set min_group_size = 2 where tenant_id = 'alpha'")
        conn.execute(
            "update candidates set created_at = '2001-01-01' where tenant_id = 'alpha' and id = %s",
            (world.candidates[0],),
        )
    q = "candidates | where created_at >= today() - 365 days | group eeoc.gender | aggregate n = count()"
    body = _run(pool, world, "admin", q)
    shown = {r[0]: r[1] for r, hidden in zip(body["rows"], body["suppressed"], strict=True) if not hidden}  # type: ignore[call-overload]
    assert "female" not in shown
    assert len(shown) == 1


HOSTILE = [
    "' or 1=1 --",
    '"; drop table candidates; --',
    "alpha' or tenant_id <> 'alpha",
    "$tenant",
    "%(tenant)s",
    "x') union select email from users --",
    "\u2028",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_literals_stay_data(pool: ConnectionPool, world: World, hostile: str) -> None:
    """Every literal position (text form, JSON form, a $param) binds the string as a value."""
    escaped = hostile.replace("\\", "\\\\").replace('"', '\\"')
    assert _run(pool, world, "admin", f'candidates | where first_name = "{escaped}" | select id')["rows"] == []
    json_form = {
        "from": "candidates",
        "steps": [
            {"where": {"op": "=", "args": [{"field": "city"}, {"value": hostile}]}},
            {"select": [{"field": "id"}]},
        ],
    }
    assert _run(pool, world, "admin", json_form)["rows"] == []  # type: ignore[arg-type]
    params = {"name": hostile}
    assert _run(pool, world, "admin", "candidates | where last_name = $name | select id", params=params)["rows"] == []
    group = f'candidates | where city in ("{escaped}", "Springfield") | group city | aggregate n = count()'
    assert [r[0] for r in _run(pool, world, "admin", group)["rows"]] == ["Springfield"]  # type: ignore[union-attr]


def test_backslash_escapes_in_text_literals_are_data(pool: ConnectionPool, world: World) -> None:
    _run(pool, world, "admin", 'candidates | where first_name = "\\\\x00\\\\\'" | select id')


def test_runs_and_refusals_are_audited_without_values(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    _run(pool, world, "recruiter", 'candidates | where email = "ada.alpha.0@candidate.example" | select first_name')
    with pytest.raises(QueryError):
        _run(pool, world, "compliance", "candidates | select email")
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute(
            "select actor_role, action, entity, outcome, field_classes, row_count, reason"
            " from audit_events where tenant_id = 'alpha' order by id"
        ).fetchall()
        dump = conn.execute("select string_agg(a::text, ' ') from audit_events a").fetchone()
        outbox = conn.execute(
            "select event_type, payload->>'outcome' from event_outbox where aggregate_type = 'audit' order by seq"
        ).fetchall()
    assert rows == [
        ("recruiter", "query", "candidates", "ok", ["personal"], 1, None),
        ("compliance", "query", "candidates", "denied", [], None, "Q104"),
    ]
    assert outbox == [("data_accessed", "ok"), ("access_denied", "denied")]  # on its way to the warehouse
    assert dump is not None
    assert "ada.alpha.0" not in str(dump[0])


def test_navigation_into_rows_a_rule_hides_reads_as_unknown(pool: ConnectionPool, world: World) -> None:
    """Rules narrow the root entity; reaching ruled rows through a relation would bypass them."""
    with pytest.raises(QueryError, match="unknown field 'job' on job_stages"):
        _run(pool, world, "recruiter", "job_stages | select name, job.title")  # confidential job titles
    with pytest.raises(QueryError, match="unknown field 'applications' on jobs"):
        _run(pool, world, "hiring_manager", "jobs | group title | aggregate n = count(applications)")
    with pytest.raises(QueryError, match="unknown field 'offers' on applications"):  # inside a model measure
        _run(pool, world, "interviewer", "applications | aggregate r = offer_acceptance_rate")
    ok = _run(pool, world, "recruiter", "applications | group job.title | aggregate n = count()")
    assert ok["columns"]
    admin = _run(pool, world, "admin", "job_stages | select name, job.title")
    assert len(admin["rows"]) == 2  # type: ignore[arg-type]


def test_small_groups_without_sensitive_fields_are_not_suppressed(pool: ConnectionPool, world: World) -> None:
    """Counting what the caller may list row by row hides nothing by being small: no suppression."""
    body = _run(pool, world, "admin", "candidates | group city | aggregate n = count()")
    assert "suppressed" not in body
    assert sum(r[1] for r in body["rows"]) == 9  # type: ignore[union-attr, misc]
