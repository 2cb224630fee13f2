"""Every suite question gets the same answer from the DSL and from hand-written SQL, on Postgres and on
DuckDB, over generated data (benchmarks/query_suite.yaml holds the questions as data); and the DSL's
answers on ClickHouse are identical to Postgres's and DuckDB's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml

from pavedroad.query import (
    QueryError,
    RunOptions,
    run_clickhouse_unrestricted,
    run_duckdb_unrestricted,
    run_unrestricted,
)
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import comparable, comparable_rows
from tests.integration.query.conftest import NOW, Loaded, need_clickhouse

SUITE = yaml.safe_load((Path(__file__).resolve().parents[3] / "benchmarks" / "query_suite.yaml").read_text())
# Questions checked here but kept out of the shared suite (its names key the query tools' plan baseline).
EXTRA = [
    {
        "name": "median_time_in_current_stage",
        "dsl": 'applications | where status = "active" | group stage.name | aggregate median_days_in_stage',
        "sql": """
            select st.name, percentile_cont(0.5) within group (order by %(now)s::timestamptz::date - t.last_move::date)
            from applications a
            join job_stages st on st.tenant_id = a.tenant_id and st.id = a.current_stage_id
            left join (select application_id, max(moved_at) last_move from stage_transitions
                       where tenant_id = %(tenant)s group by application_id) t on t.application_id = a.id
            where a.tenant_id = %(tenant)s and a.status = 'active'
            group by st.name""",
    },
    {  # a model function of an outer column, as a filter: a correlated EXISTS
        "name": "reached_current_stage_filter",
        "dsl": "applications | where reached(stage.name) | group stage.name | aggregate n = count()",
        "sql": """
            select st.name, count(*) from applications a
            join job_stages st on st.tenant_id = a.tenant_id and st.id = a.current_stage_id
            where a.tenant_id = %(tenant)s and exists (
                select 1 from stage_transitions t
                join job_stages ts on ts.tenant_id = t.tenant_id and ts.id = t.to_stage_id
                where t.tenant_id = a.tenant_id and t.application_id = a.id and ts.name = st.name)
            group by st.name""",
    },
    {  # date literals, calendar arithmetic and integer extraction beside substring
        "name": "date_literals_and_extraction",
        "dsl": 'applications | where date(applied_at) >= date "2026-06-30" - 1 year'
        ' and date(applied_at) < date "2026-01-01" + 3 months'
        " | group y = year_of(applied_at), m = month_of(applied_at), s = substring(status, 1, 3)"
        " | aggregate n = count()",
        "sql": """
            select extract(year from applied_at)::int, extract(month from applied_at)::int, substring(status, 1, 3),
                   count(*)
            from applications
            where tenant_id = %(tenant)s and applied_at::date >= date '2025-06-30' and applied_at::date < '2026-04-01'
            group by 1, 2, 3""",
    },
    {  # a row condition on every aggregate, on the query's rows and over relations
        "name": "aggregate_conditions",
        "dsl": 'applications | group source.name | aggregate n = count(), hired = count(status = "hired"),'
        ' first_hire = min(hired_at, status = "hired"), top = max(offers.salary, offers.status = "accepted"),'
        ' interviews_active = sum(count(interviews), status = "active"),'
        ' avg_days = avg(days_to_hire, job.department.name = "Engineering"),'
        ' median_days = median(days_to_hire, status = "hired")',
        "sql": """
            select s.name, count(*), sum(case when a.status = 'hired' then 1 else 0 end),
                   min(case when a.status = 'hired' then a.hired_at end),
                   max((select max(o.salary) from offers o where o.tenant_id = a.tenant_id
                        and o.application_id = a.id and o.status = 'accepted')),
                   sum(case when a.status = 'active' then (select count(*) from interviews i
                        where i.tenant_id = a.tenant_id and i.application_id = a.id) end),
                   avg(case when d.name = 'Engineering' then a.hired_at::date - a.applied_at::date end),
                   percentile_cont(0.5) within group (order by case when a.status = 'hired'
                        then a.hired_at::date - a.applied_at::date end)
            from applications a
            left join sources s on s.tenant_id = a.tenant_id and s.id = a.source_id
            join jobs j on j.tenant_id = a.tenant_id and j.id = a.job_id
            join departments d on d.tenant_id = a.tenant_id and d.id = j.department_id
            where a.tenant_id = %(tenant)s
            group by s.name""",
    },
    {  # ungrouped totals: rows above the filtered set's average, a group's share, groups above 1 % of it
        "name": "ungrouped_totals",
        "dsl": 'applications | where status = "active"'
        " | where days_since_activity > all(avg(days_since_activity))"
        " | group source.name | aggregate stale = count(), share = count() / all(count())"
        " | where stale > all(count()) * 0.01",
        "sql": """
            with active as (
                select a.*, %(now)s::timestamptz::date - a.last_activity_at::date as idle from applications a
                where a.tenant_id = %(tenant)s and a.status = 'active'),
            stale as (select * from active where idle > (select avg(idle) from active))
            select s.name, count(*), count(*)::float / (select count(*) from stale)
            from stale left join sources s on s.tenant_id = stale.tenant_id and s.id = stale.source_id
            group by s.name
            having count(*) > (select count(*) from stale) * 0.01""",
    },
    {  # a total over a relation aggregate, after a relation filter: the total's own plan
        "name": "ungrouped_total_over_relations",
        "dsl": "applications | where any(interviews) | derive n_int = count(interviews)"
        " | where n_int >= all(max(n_int)) - 1 | group source.name | aggregate n = count()",
        "sql": """
            with per_app as (
                select a.source_id, (select count(*) from interviews i where i.tenant_id = a.tenant_id
                                     and i.application_id = a.id) as n_int
                from applications a where a.tenant_id = %(tenant)s
                  and exists (select 1 from interviews i where i.tenant_id = a.tenant_id and i.application_id = a.id))
            select s.name, count(*) from per_app p
            left join sources s on s.tenant_id = %(tenant)s and s.id = p.source_id
            where p.n_int >= (select max(n_int) from per_app) - 1
            group by s.name""",
    },
    {  # windows within partitions over an aggregated result: lag, lead, rank, share and running total
        "name": "window_partitions",
        "dsl": "applications | group kind = source.kind, month = month(applied_at) | aggregate n = count()"
        " | derive previous = lag(n, month, partition(kind)), two_after = lead(n, month, 2, partition(kind)),"
        " place = rank(-n, partition(month)), share = percent_of_total(n, partition(month)),"
        " so_far = running_total(n, month, partition(kind))",
        "sql": """
            with g as (
                select s.kind, date_trunc('month', a.applied_at)::date as m, count(*) as n from applications a
                left join sources s on s.tenant_id = a.tenant_id and s.id = a.source_id
                where a.tenant_id = %(tenant)s group by 1, 2)
            select kind, m, n, lag(n) over (partition by kind order by m),
                   lead(n, 2) over (partition by kind order by m),
                   rank() over (partition by m order by n desc), n::float / sum(n) over (partition by m),
                   sum(n) over (partition by kind order by m rows between unbounded preceding and current row)
            from g""",
    },
    {  # the job's hiring team as many-to-one relations (one role each)
        "name": "hiring_team_relations",
        "dsl": 'applications | where status = "active"'
        " | group recruiter = job.recruiter.name, hiring_manager = job.hiring_manager.name"
        " | aggregate n = count(), without_coordinator = count(job.coordinator.user_id is null)",
        "sql": """
            select (select u.name from job_hiring_team t join users u on u.tenant_id = t.tenant_id and u.id = t.user_id
                    where t.tenant_id = j.tenant_id and t.job_id = j.id and t.team_role = 'recruiter'),
                   (select u.name from job_hiring_team t join users u on u.tenant_id = t.tenant_id and u.id = t.user_id
                    where t.tenant_id = j.tenant_id and t.job_id = j.id and t.team_role = 'hiring_manager'),
                   count(*),
                   sum(case when not exists (select 1 from job_hiring_team t where t.tenant_id = j.tenant_id
                       and t.job_id = j.id and t.team_role = 'coordinator') then 1 else 0 end)
            from applications a join jobs j on j.tenant_id = a.tenant_id and j.id = a.job_id
            where a.tenant_id = %(tenant)s and a.status = 'active'
            group by 1, 2""",
    },
    {  # the same as values over a group: LATERAL branches; outer. in a count condition
        "name": "reached_current_stage_values",
        "dsl": "applications | group source.name | aggregate n = count(), r = rate(reached(stage.name)),"
        " moves = count(transitions, to_stage.name = outer.stage.name)",
        "sql": """
            select s.name, count(*), avg(case when m.moves > 0 then 1.0 else 0.0 end), coalesce(sum(m.moves), 0)
            from applications a
            join job_stages st on st.tenant_id = a.tenant_id and st.id = a.current_stage_id
            left join sources s on s.tenant_id = a.tenant_id and s.id = a.source_id
            cross join lateral (
                select count(*) moves from stage_transitions t
                join job_stages ts on ts.tenant_id = t.tenant_id and ts.id = t.to_stage_id
                where t.tenant_id = a.tenant_id and t.application_id = a.id and ts.name = st.name) m
            where a.tenant_id = %(tenant)s
            group by s.name""",
    },
]


def _hand_pg(loaded: Loaded, tenant: str, sql: str) -> list[tuple[Any, ...]]:
    with transaction(loaded.pool, Principal(tenant, None, Role.ADMIN)) as conn:
        conn.execute("select set_config('TimeZone', %s, true)", (loaded.schemas[tenant].time_zone,))
        return conn.execute(sql, {"tenant": tenant, "now": NOW}).fetchall()


def duck_sql(case: dict[str, str]) -> str:
    """The DuckDB spelling of the hand-written SQL: given (``sql_duckdb``) or transpiled by SQLGlot."""
    if "sql_duckdb" in case:
        return case["sql_duckdb"]
    return str(sqlglot.transpile(case["sql"].replace("%%", "%"), read="postgres", write="duckdb")[0])


def _hand_duck(loaded: Loaded, tenant: str, case: dict[str, str]) -> list[tuple[Any, ...]]:
    duck_sql_text = duck_sql(case)
    loaded.duck.execute(f"SET TimeZone = '{loaded.schemas[tenant].time_zone}'")
    params = {k: v for k, v in {"tenant": tenant, "now": NOW}.items() if f"${k}" in duck_sql_text}
    rel = loaded.duck.sql(duck_sql_text, params=params)
    return [tuple(r.values()) for r in rel.to_arrow_table().to_pylist()]


@pytest.mark.parametrize("case", SUITE + EXTRA, ids=[c["name"] for c in SUITE + EXTRA])
def test_dsl_matches_hand_written_sql(loaded: Loaded, case: dict[str, str]) -> None:
    """The DSL answer equals the expert's SQL on Postgres and on DuckDB, for the biggest tenant."""
    tenant = loaded.tenants[0]
    model = recruiting_model()
    pg = run_unrestricted(
        loaded.pool, Principal(tenant, None, Role.ADMIN), case["dsl"], model=model, options=RunOptions(now=NOW)
    )
    duck = run_duckdb_unrestricted(
        loaded.duck, loaded.schemas[tenant], "admin", case["dsl"], model=model, options=RunOptions(now=NOW)
    )
    expected = comparable_rows(_hand_pg(loaded, tenant, case["sql"]))
    assert comparable_rows(pg.rows) == expected
    assert comparable_rows(duck.rows) == comparable_rows(_hand_duck(loaded, tenant, case))
    assert comparable_rows(duck.rows) == expected


@pytest.mark.parametrize("case", SUITE, ids=[c["name"] for c in SUITE])
def test_clickhouse_answers_equal_postgres_and_duckdb(loaded: Loaded, case: dict[str, str]) -> None:
    """The suite's answers are identical on Postgres, DuckDB and ClickHouse, for every tenant (their
    time zones differ, which dates and buckets depend on)."""
    clickhouse = need_clickhouse(loaded)
    model = recruiting_model()
    for tenant in loaded.tenants:
        schema = loaded.schemas[tenant]
        pg = run_unrestricted(
            loaded.pool, Principal(tenant, None, Role.ADMIN), case["dsl"], model=model, options=RunOptions(now=NOW)
        )
        duck = run_duckdb_unrestricted(
            loaded.duck, schema, "admin", case["dsl"], model=model, options=RunOptions(now=NOW)
        )
        ch = run_clickhouse_unrestricted(
            clickhouse, schema, "admin", case["dsl"], model=model, options=RunOptions(now=NOW)
        )
        assert [c.name for c in ch.columns] == [c.name for c in pg.columns]
        assert comparable_rows(ch.rows) == comparable_rows(pg.rows) == comparable_rows(duck.rows), (
            tenant,
            schema.time_zone,
        )


def test_clickhouse_pages_like_postgres(loaded: Loaded) -> None:
    """Keyset pages on a timestamp key: ClickHouse's cursors lead to the same next pages as Postgres's."""
    clickhouse = need_clickhouse(loaded)
    tenant = loaded.tenants[1]
    model = recruiting_model()
    text = "applications | select id, applied_at | sort -applied_at | page size 7"
    pg_cursor = ch_cursor = None
    for _ in range(3):
        principal = Principal(tenant, None, Role.ADMIN)
        pg = run_unrestricted(loaded.pool, principal, text, model=model, options=RunOptions(cursor=pg_cursor, now=NOW))
        ch = run_clickhouse_unrestricted(
            clickhouse,
            loaded.schemas[tenant],
            "admin",
            text,
            model=model,
            options=RunOptions(cursor=ch_cursor, now=NOW),
        )
        assert len(pg.rows) == 7
        assert [comparable(r[0]) for r in ch.rows] == [comparable(r[0]) for r in pg.rows]
        assert [comparable(r[1]) for r in ch.rows] == [comparable(r[1]) for r in pg.rows]
        pg_cursor, ch_cursor = pg.next_cursor, ch.next_cursor


def test_clickhouse_refuses_what_it_cannot_run_with_a_clear_error(loaded: Loaded) -> None:
    """A relation aggregate that reads the outer row needs a lateral join, which ClickHouse lacks: Q105,
    pointing at the query, rather than a database error."""
    clickhouse = need_clickhouse(loaded)
    tenant = loaded.tenants[0]
    case = next(c for c in EXTRA if c["name"] == "reached_current_stage_values")
    with pytest.raises(QueryError) as err:
        run_clickhouse_unrestricted(clickhouse, loaded.schemas[tenant], "admin", case["dsl"], model=recruiting_model())
    assert err.value.code == "Q105"
    assert "lateral" in str(err.value)


def test_suite_is_large_enough() -> None:
    """At least 30 recruiting questions are checked."""
    assert len(SUITE) >= 30
