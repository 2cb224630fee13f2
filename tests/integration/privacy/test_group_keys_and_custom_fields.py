"""On real data, through the protected path: group keys cannot carry sensitive values out of a small
group, an aggregate over sensitive data cannot single a person out, and tenant custom fields obey the
classification they were defined with (compensation only for admins and recruiters, sensitive only in
suppressed aggregates)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.errors import InvalidInput
from pavedroad.privacy import arun_protected
from pavedroad.query import QueryError, run
from pavedroad.recruiting.custom_fields import define_custom_field
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import ACCESS, GUARDRAILS, ROW_RULES
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant


@pytest.fixture
def world(database: TestDatabase) -> World:
    return seed_tenant(database.owner_url, "alpha", candidates=9)


@pytest.fixture
def pool(database: TestDatabase) -> Iterator[ConnectionPool]:
    with ConnectionPool(database.app_url, min_size=1, max_size=2) as p:
        yield p


def _run(pool: ConnectionPool, world: World, role: str, query: str) -> dict[str, Any]:
    principal = Principal(world.tenant, world.users[role], Role(role))
    return run(pool, principal, query, model=recruiting_model(), guard=GUARDRAILS).to_dict()


def _define(pool: ConnectionPool, world: World, entity: str, key: str, *, field_type: str, classification: str) -> None:
    admin = Principal(world.tenant, world.users["admin"], Role.ADMIN)
    with transaction(pool, admin) as conn:
        define_custom_field(
            conn, world.tenant, entity=entity, key=key, label=key, field_type=field_type, classification=classification
        )


# --- group keys -----------------------------------------------------------------------------------


def test_grouping_people_by_id_and_gender_is_refused(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    """Today's bypass: one cell per person, count blanked, gender shown. Now refused before it runs, and
    the refusal is audited as a denial."""
    with pytest.raises(QueryError, match="cannot group by 'candidate_id'") as caught:
        _run(pool, world, "admin", "eeoc_responses | group candidate_id, gender | aggregate n = count()")
    assert caught.value.code == "Q304"
    assert caught.value.to_dict()["span"] == {"start": 23, "end": 43, "line": 1, "column": 24}  # the group keys
    with pytest.raises(QueryError, match="cannot aggregate 'candidate_id'"):
        _run(pool, world, "compliance", "eeoc_responses | group gender | aggregate first = min(candidate_id)")
    with psycopg.connect(database.owner_url) as conn:
        audited = conn.execute("select actor_role, outcome, reason from audit_events order by id").fetchall()
    assert audited == [("admin", "denied", "Q304"), ("compliance", "denied", "Q304")]


def test_a_small_group_hides_its_sensitive_key(pool: ConnectionPool, world: World) -> None:
    """9 candidates, 3 per gender, k = 5: every row is hidden, its gender included."""
    body = _run(pool, world, "compliance", "candidates | group eeoc.gender | aggregate n = count()")
    assert body["suppressed"] == [True, True, True]
    assert body["rows"] == [[None, None]] * 3


def test_complementary_suppression_keeps_totals_from_revealing_a_cell(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    """female 2, male 4, non_binary 3 with k = 3: female is hidden, and so is the smallest other cell, so
    the total (9, askable without suppression) minus the visible cell only yields a sum of two hidden ones."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update tenants set min_group_size = 3 where tenant_id = 'alpha'")
        for cid, gender in zip(world.candidates, ["female"] * 2 + ["male"] * 4 + ["non_binary"] * 3, strict=True):
            conn.execute("update eeoc_responses set gender = %s where candidate_id = %s", (gender, cid))
    body = _run(pool, world, "compliance", "candidates | group eeoc.gender | aggregate n = count() | sort eeoc_gender")
    shown = [r for r, hidden in zip(body["rows"], body["suppressed"], strict=True) if not hidden]  # type: ignore[call-overload]
    assert shown == [["male", 4]]
    assert sorted(body["suppressed"]) == [False, True, True]  # type: ignore[type-var]
    assert _run(pool, world, "compliance", "candidates | aggregate n = count()")["rows"] == [[9]]


def test_groups_cannot_be_dropped_after_aggregate(pool: ConnectionPool, world: World) -> None:
    """``where n >= 3`` after aggregate would return the visible cells alone, and the total minus them
    the hidden one: a report over sensitive data returns every group it computed."""
    with pytest.raises(QueryError, match="cannot use 'where' after aggregate") as caught:
        _run(pool, world, "compliance", "candidates | group eeoc.gender | aggregate n = count() | where n >= 3")
    assert caught.value.code == "Q304"


async def test_the_service_path_refuses_and_hides_the_same(world: World, database: TestDatabase) -> None:
    async with AsyncConnectionPool(database.app_url, min_size=1, max_size=2) as apool:
        admin = Principal("alpha", world.users["admin"], Role.ADMIN)
        with pytest.raises(QueryError, match="Q304"):
            await arun_protected(
                apool,
                admin,
                "eeoc_responses | group candidate_id, gender | aggregate n = count()",
                model=recruiting_model(),
                matrix=ACCESS,
                rules=ROW_RULES,
            )
        result = await arun_protected(
            apool, admin, "candidates | group eeoc.gender | aggregate n = count()", model=recruiting_model()
        )
        assert result.rows == [[None, None]] * 3


# --- custom fields --------------------------------------------------------------------------------


@pytest.fixture
def salaries(pool: ConnectionPool, world: World, database: TestDatabase) -> World:
    """``applications.custom.expected_salary``, defined by the tenant as compensation, with values."""
    _define(pool, world, "applications", "expected_salary", field_type="number", classification="compensation")
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "update applications set custom = jsonb_build_object('expected_salary', 90000 + id)"
            " where tenant_id = 'alpha'"
        )
    return world


@pytest.mark.parametrize(
    "query",
    [
        "applications | select id, custom.expected_salary",
        "applications | where custom.expected_salary > 1 | select id",
        "applications | group custom.expected_salary | aggregate n = count()",
        "applications | aggregate pay = avg(custom.expected_salary)",
    ],
)
def test_compensation_custom_field_reads_as_unknown_to_interviewers(
    pool: ConnectionPool, salaries: World, query: str
) -> None:
    with pytest.raises(QueryError) as caught:
        _run(pool, salaries, "interviewer", query)
    assert caught.value.code == "Q104"
    assert caught.value.message.startswith("unknown field 'custom.expected_salary' on applications")
    assert "expected_salary" not in (caught.value.hint or "")  # never suggested
    with pytest.raises(QueryError) as never_defined:
        _run(pool, salaries, "interviewer", query.replace("expected_salary", "bonus_target"))
    assert never_defined.value.message == caught.value.message.replace("expected_salary", "bonus_target")


def test_compensation_custom_field_is_visible_to_admins_and_recruiters(pool: ConnectionPool, salaries: World) -> None:
    for role in ("admin", "recruiter"):
        body = _run(pool, salaries, role, "applications | select id, custom.expected_salary | sort id")
        assert body["rows"], role
        assert all(r[1] == 90000 + r[0] for r in body["rows"])  # type: ignore[union-attr, index, operator]
    for role in ("hiring_manager", "compliance"):
        with pytest.raises(QueryError, match=r"unknown field 'custom\.expected_salary'"):
            _run(pool, salaries, role, "applications | aggregate pay = avg(custom.expected_salary)")


def test_compensation_custom_field_is_refused_over_http(
    salaries: World, database: TestDatabase, tmp_path: Path
) -> None:
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha"])["alpha"]
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        for role, status in (("interviewer", 400), ("recruiter", 200)):
            response = client.post(
                "/v1/query",
                json={"query": "applications | aggregate pay = max(custom.expected_salary)"},
                headers={"Authorization": f"Bearer {keys[role]}"},
            )
            assert response.status_code == status, (role, response.text)
    assert response.json()["rows"][0][0] > 90000  # the recruiter's answer: applications of open jobs


def test_a_sensitive_custom_field_is_aggregate_only_and_suppressed(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    _define(pool, world, "candidates", "religion", field_type="text", classification="sensitive")
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update candidates set custom = '{\"religion\": \"faith-a\"}' where tenant_id = 'alpha'")
        conn.execute('update candidates set custom = \'{"religion": "faith-b"}\' where id = %s', (world.candidates[0],))
    with pytest.raises(QueryError, match=r"unknown field 'custom\.religion' on candidates"):
        _run(pool, world, "admin", "candidates | select id, custom.religion")
    with pytest.raises(QueryError, match="Q304"):
        _run(pool, world, "admin", "candidates | group id, custom.religion | aggregate n = count()")
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update tenants set min_group_size = 2 where tenant_id = 'alpha'")
    body = _run(pool, world, "compliance", "candidates | group custom.religion | aggregate n = count()")
    assert "faith-b" not in str(body["rows"])  # the one person's value, hidden with its group
    assert body["suppressed"] == [True, True]  # faith-a (8) hidden too: a total would give faith-b's 1


def test_a_custom_field_cannot_be_defined_without_a_classification(
    pool: ConnectionPool, world: World, database: TestDatabase
) -> None:
    for classification in ("", "secret"):
        with pytest.raises(InvalidInput, match="classification") as caught:
            _define(pool, world, "jobs", "grade", field_type="text", classification=classification)
        assert "compensation" in (caught.value.hint or "")
    with psycopg.connect(database.owner_url) as conn, pytest.raises(psycopg.errors.NotNullViolation):
        conn.execute(  # the table requires it too: no default to fall back on
            "insert into custom_field_definitions (tenant_id, entity, key, label, field_type)"
            " values ('alpha', 'jobs', 'grade', 'Grade', 'text')"
        )
