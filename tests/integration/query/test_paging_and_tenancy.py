"""Keyset pages are stable under inserts; no query, however written, reads another tenant's rows."""

from __future__ import annotations

import psycopg
import pytest

from pavedroad.query import Limits, QueryError, QueryLimitError, RunOptions, compile_query, run_unrestricted
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role
from tests.integration.query.conftest import NOW, Loaded

LIST = (
    'applications | where status = "archived" | select id, applied_at, title = job.title'
    " | sort -applied_at | page size 25"
)


def _all_pages(loaded: Loaded, tenant: str, text: str, *, insert_between: bool = False) -> list[int]:
    principal = Principal(tenant, None, Role.RECRUITER)
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        page = run_unrestricted(
            loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(cursor=cursor, now=NOW)
        )
        seen += [r[0] for r in page.rows]
        if insert_between and cursor is None:
            _insert_newest_archived(loaded, tenant)
        cursor = page.next_cursor
        if cursor is None:
            break
    return seen


def _insert_newest_archived(loaded: Loaded, tenant: str) -> None:
    with psycopg.connect(loaded.db.owner_url) as conn:
        conn.execute(
            "insert into applications (tenant_id, candidate_id, job_id, source_id, current_stage_id, status,"
            " archive_reason, applied_at, last_activity_at, archived_at)"
            " select tenant_id, candidate_id, job_id, source_id, current_stage_id, 'archived', 'other',"
            " now() + interval '1 day', now(), now() from applications where tenant_id = %s limit 1",
            (tenant,),
        )


def test_pages_cover_every_row_once(loaded: Loaded) -> None:
    """Walking every page returns each matching row exactly once, in order."""
    tenant = loaded.tenants[1]
    ids = _all_pages(loaded, tenant, LIST)
    full = run_unrestricted(
        loaded.pool,
        Principal(tenant, None, Role.ADMIN),
        'applications | where status = "archived" | select id | sort -applied_at, id | take 10000',
        model=recruiting_model(),
        options=RunOptions(now=NOW),
    )
    assert ids == [r[0] for r in full.rows]
    assert len(ids) == len(set(ids)) > 25


def test_pages_are_stable_under_inserts(loaded: Loaded) -> None:
    """A row inserted before the current position does not shift later pages (no skips, no repeats)."""
    tenant = loaded.tenants[2]
    before = _all_pages(loaded, tenant, LIST)
    during = _all_pages(loaded, tenant, LIST, insert_between=True)
    assert during == before


def test_nullable_sort_key_is_refused_for_paging(loaded: Loaded) -> None:
    with pytest.raises(QueryError) as err:
        run_unrestricted(
            loaded.pool,
            Principal(loaded.tenants[0], None, Role.ADMIN),
            "applications | sort hired_at | page size 10",
            model=recruiting_model(),
            options=RunOptions(now=NOW),
        )
    assert err.value.code == "Q303"


CANARY_QUERIES = [
    "applications | aggregate n = count()",
    "applications | select id, c = candidate.email | take 10000",
    "applications | group job.department.name | aggregate n = count(), o = count(offers), i = count(interviews)",
    "applications | where any(interviews) | aggregate n = count()",
    "interview_participants | group user.email | aggregate n = count()",
    "stage_transitions | group to_stage.name | aggregate n = count(), a = count_distinct(application_id)",
    "candidates | select id, email | take 10000",
]


@pytest.mark.parametrize("text", CANARY_QUERIES)
def test_no_query_reads_another_tenants_rows(loaded: Loaded, text: str) -> None:
    """With RLS switched off (owner connection), the compiled SQL alone still returns only this tenant's
    rows; counts agree with what the tenant owns."""
    model = recruiting_model()
    results = {}
    for tenant in loaded.tenants:
        compiled = compile_query(text, model=model, schema=loaded.schemas[tenant], role="admin", now=NOW)
        with psycopg.connect(loaded.db.owner_url) as conn:  # superuser: row-level security does not apply
            conn.execute("select set_config('TimeZone', %s, true)", (loaded.schemas[tenant].time_zone,))
            results[tenant] = sorted(map(repr, conn.execute(compiled.sql, compiled.params).fetchall()))
        rls = run_unrestricted(
            loaded.pool, Principal(tenant, None, Role.ADMIN), text, model=model, options=RunOptions(now=NOW)
        )
        assert sorted(map(repr, rls.rows)) == results[tenant]
    assert len({tuple(v) for v in results.values()}) == len(loaded.tenants)


def test_tenant_parameter_is_the_only_scope(loaded: Loaded) -> None:
    """Every table in the emitted SQL is filtered by the tenant placeholder."""
    text = CANARY_QUERIES[2]
    compiled = compile_query(text, model=recruiting_model(), schema=loaded.schemas[loaded.tenants[0]], now=NOW)
    assert compiled.sql.count("tenant_id = %(tenant)s") == 5  # applications, jobs, departments, 2 branches
    assert compiled.params["tenant"] == loaded.tenants[0]


def test_cursor_can_arrive_as_the_after_parameter(loaded: Loaded) -> None:
    """`page size N after $cursor` takes the cursor from params as well as from the cursor argument."""
    principal = Principal(loaded.tenants[1], None, Role.RECRUITER)
    text = LIST + " after $cursor"
    first = run_unrestricted(loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(now=NOW))
    assert first.next_cursor is not None
    by_param = run_unrestricted(
        loaded.pool,
        principal,
        text,
        model=recruiting_model(),
        options=RunOptions(params={"cursor": first.next_cursor}, now=NOW),
    )
    by_arg = run_unrestricted(
        loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(cursor=first.next_cursor, now=NOW)
    )
    assert by_param.rows == by_arg.rows
    assert by_param.rows[0] not in first.rows


def test_a_list_without_take_gets_the_default_page(loaded: Loaded) -> None:
    """A list query that names neither take nor page answers ``Limits.default_page`` rows and a cursor;
    walking the cursors gives every row once, as the unpaged query would."""
    principal = Principal(loaded.tenants[0], None, Role.ADMIN)
    text = 'applications | where status = "archived" | select id'
    first = run_unrestricted(loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(now=NOW))
    assert len(first.rows) == Limits().default_page
    assert first.next_cursor is not None
    seen = [r[0] for r in first.rows]
    cursor: str | None = first.next_cursor
    while cursor is not None:
        page = run_unrestricted(
            loaded.pool, principal, text, model=recruiting_model(), options=RunOptions(cursor=cursor, now=NOW)
        )
        seen += [r[0] for r in page.rows]
        cursor = page.next_cursor
    full = run_unrestricted(
        loaded.pool, principal, text + " | sort id | take 10000", model=recruiting_model(), options=RunOptions(now=NOW)
    )
    assert seen == [r[0] for r in full.rows]
    assert len(seen) > Limits().default_page


@pytest.mark.parametrize(
    "text",
    [
        "applications | group id | aggregate n = count()",  # more groups than the cap
        "applications | select id, hired_at | sort hired_at",  # a sort key that can be null: no keyset page
    ],
)
def test_an_answer_that_cannot_be_paged_is_capped_not_cut(loaded: Loaded, text: str) -> None:
    """Past ``max_rows`` the answer is refused with a hint (Q404), never returned cut short in silence."""
    principal = Principal(loaded.tenants[0], None, Role.ADMIN)
    with pytest.raises(QueryLimitError) as err:
        run_unrestricted(
            loaded.pool,
            principal,
            text,
            model=recruiting_model(),
            options=RunOptions(limits=Limits(max_rows=50), now=NOW),
        )
    assert err.value.code == "Q404"
    assert "take" in (err.value.hint or "")
    small = run_unrestricted(
        loaded.pool,
        principal,
        text,
        model=recruiting_model(),
        options=RunOptions(limits=Limits(max_rows=100_000), now=NOW),
    )
    assert len(small.rows) > 50
    assert small.next_cursor is None
