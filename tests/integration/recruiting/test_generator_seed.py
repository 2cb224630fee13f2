"""``seed()`` against a real Postgres: deterministic, realistic, consistent, and safe to run twice."""

from __future__ import annotations

import itertools
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from pavedroad.errors import Conflict, InvalidInput
from pavedroad.recruiting.generator import SeedReport, seed
from pavedroad.recruiting.generator.columns import IDENTITY_TABLES, TABLES
from pavedroad.recruiting.generator.constraints import can_skip_fk_triggers, verify_foreign_keys
from pavedroad.recruiting.generator.custom import CATALOG
from pavedroad.tenancy import Principal, Role, transaction
from pavedroad.testing import TestDatabase, TestServers

APPLICATIONS = 3_000


def checksum(url: str) -> str:
    """md5 over every generated table's rows, each table's rows ordered by their text form."""
    parts = []
    with psycopg.connect(url) as conn:
        for table in TABLES:
            query = sql.SQL("select coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {} t")
            row = conn.execute(query.format(sql.Identifier(table))).fetchone()
            assert row is not None
            parts.append(f"{table}:{row[0]}")
    return "|".join(parts)


def scalar(url: str, query: str, params: tuple[object, ...] = ()) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def seeded(database: TestDatabase) -> tuple[TestDatabase, SeedReport]:
    return database, seed(database.owner_url, applications=APPLICATIONS, tenants=6, seed=11, progress=False)


def test_same_seed_loads_identical_data(servers: TestServers, database: TestDatabase) -> None:
    """Two empty databases seeded with the same seed hold byte-identical rows; another seed differs."""
    twin = servers.new_database()
    other = servers.new_database()
    try:
        seed(database.owner_url, applications=2_000, tenants=3, seed=5, progress=False)
        seed(twin.owner_url, applications=2_000, tenants=3, seed=5, progress=False)
        seed(other.owner_url, applications=2_000, tenants=3, seed=6, progress=False)
        assert checksum(database.owner_url) == checksum(twin.owner_url)
        assert checksum(database.owner_url) != checksum(other.owner_url)
    finally:
        servers.drop_database(twin)
        servers.drop_database(other)


def test_report_counts_what_is_in_the_database(seeded: tuple[TestDatabase, SeedReport]) -> None:
    database, report = seeded
    assert report.tenants[:3] == ["acme", "globex", "initech"]
    assert len(report.tenants) == 6
    assert report.rows["applications"] == APPLICATIONS
    for table in TABLES:
        count = scalar(database.owner_url, sql.SQL("select count(*) from {}").format(sql.Identifier(table)).as_string())
        assert report.rows.get(table, 0) == count, table
    assert "3,000 applications" in report.summary()


def test_tenant_sizes_are_skewed_and_every_tenant_has_applications(seeded: tuple[TestDatabase, SeedReport]) -> None:
    database, _ = seeded
    with psycopg.connect(database.owner_url) as conn:
        sizes = [
            r[0]
            for r in conn.execute(
                "select count(a.id) from tenants t left join applications a using (tenant_id) group by t.tenant_id"
                " order by 1 desc"
            ).fetchall()
        ]
    assert min(sizes) >= 1
    assert sizes[0] > 3 * sizes[-1]
    assert sum(sizes) == APPLICATIONS


def test_funnel_conversion_never_increases(seeded: tuple[TestDatabase, SeedReport]) -> None:
    """Applications reaching plan position k (from stage_transitions) is non-increasing in k."""
    database, _ = seeded
    with psycopg.connect(database.owner_url) as conn:
        reached = [
            r[1]
            for r in conn.execute(
                "select s.position, count(distinct t.application_id) from stage_transitions t"
                " join job_stages s on s.tenant_id = t.tenant_id and s.id = t.to_stage_id group by 1 order by 1"
            ).fetchall()
        ]
    assert reached[0] == APPLICATIONS
    assert all(a >= b for a, b in itertools.pairwise(reached))


def test_time_in_stage_medians_are_plausible(seeded: tuple[TestDatabase, SeedReport]) -> None:
    """Median days between entering a stage and the next move lies between 1 and 15 for every stage type."""
    database, _ = seeded
    with psycopg.connect(database.owner_url) as conn:
        medians: dict[str, float] = dict(
            conn.execute(
                "select s.stage_type, percentile_cont(0.5) within group"
                "   (order by extract(epoch from n.moved_at - t.moved_at) / 86400)"
                " from stage_transitions t"
                " join stage_transitions n on n.tenant_id = t.tenant_id and n.application_id = t.application_id"
                "  and n.from_stage_id = t.to_stage_id"
                " join job_stages s on s.tenant_id = t.tenant_id and s.id = t.to_stage_id group by 1"
            ).fetchall()
        )
    assert "application_review" in medians
    assert all(1 <= days <= 15 for days in medians.values()), medians


def test_statuses_and_timestamps_agree(seeded: tuple[TestDatabase, SeedReport]) -> None:
    """The CHECKs hold, current stage = last transition, and activity is never before applying."""
    database, _ = seeded
    bad = scalar(
        database.owner_url,
        """
        select count(*) from applications a
         where a.last_activity_at < a.applied_at
            or (a.status = 'archived') <> (a.archive_reason is not null)
            or a.current_stage_id <> (select t.to_stage_id from stage_transitions t
                                       where t.tenant_id = a.tenant_id and t.application_id = a.id
                                       order by t.moved_at desc limit 1)
            or a.hired_at < a.applied_at or a.archived_at < a.applied_at
    """,
    )
    assert bad == 0
    statuses = scalar(database.owner_url, "select array_agg(distinct status order by status) from applications")
    assert statuses == ["active", "archived", "hired"]


def test_eeoc_offers_and_interviews_look_like_a_real_pipeline(seeded: tuple[TestDatabase, SeedReport]) -> None:
    database, _ = seeded
    share = scalar(
        database.owner_url, "select (select count(*) from eeoc_responses)::float / (select count(*) from candidates)"
    )
    assert 0.55 < float(share) < 0.65
    assert scalar(database.owner_url, "select count(*) from eeoc_responses where gender = 'decline'") > 0
    outcomes = scalar(database.owner_url, "select array_agg(distinct status order by status) from offers")
    assert {"accepted", "declined", "rescinded"} <= set(outcomes)
    mismatched = scalar(
        database.owner_url,
        """
        select count(*) from offers o join applications a on a.tenant_id = o.tenant_id and a.id = o.application_id
         where (o.status = 'accepted') and a.status <> 'hired'
    """,
    )
    assert mismatched == 0
    seats = scalar(
        database.owner_url,
        """
        select array_agg(distinct n order by n) from
          (select count(*) as n from interview_participants group by tenant_id, interview_id) s
    """,
    )
    assert set(seats) <= {1, 2, 3, 4}


def test_custom_fields_of_every_type_with_typed_values(seeded: tuple[TestDatabase, SeedReport]) -> None:
    database, _ = seeded
    with psycopg.connect(database.owner_url) as conn:
        types = conn.execute(
            "select entity, array_agg(distinct field_type order by field_type) from custom_field_definitions"
            " group by entity"
        ).fetchall()
        json_types: dict[str, list[str]] = dict(
            conn.execute("""
            select d.field_type, array_agg(distinct jsonb_typeof(c.custom -> d.key))
              from custom_field_definitions d
              join candidates c on c.tenant_id = d.tenant_id and c.custom ? d.key
             where d.entity = 'candidates' group by 1
        """).fetchall()
        )
    every = ["boolean", "date", "multi_select", "number", "single_select", "text"]
    assert sorted(types) == [(e, every) for e in ("applications", "candidates", "jobs")]
    assert json_types == {
        "boolean": ["boolean"],
        "date": ["string"],
        "multi_select": ["array"],
        "number": ["number"],
        "single_select": ["string"],
        "text": ["string"],
    }


def test_foreign_keys_hold_and_a_violation_is_caught(seeded: tuple[TestDatabase, SeedReport]) -> None:
    """The set-wise check finds nothing in generated data, and does find a row whose parent is missing."""
    database, report = seeded
    with psycopg.connect(database.owner_url) as conn:
        assert verify_foreign_keys(conn, list(TABLES), report.tenants) > 20
        conn.execute("set local session_replication_role = replica")
        conn.execute(
            "insert into job_stages (tenant_id, job_id, position, name, stage_type)"
            " values ('acme', 999999999, 1, 'x', 'offer')"
        )
        with pytest.raises(Conflict, match="job_stages"):
            verify_foreign_keys(conn, ["job_stages"], ["acme"])


def test_only_privileged_owners_skip_row_wise_checks(database: TestDatabase) -> None:
    with psycopg.connect(database.owner_url) as conn:
        assert can_skip_fk_triggers(conn)
    with psycopg.connect(database.app_url) as conn:
        assert not can_skip_fk_triggers(conn)


def test_second_seed_appends_and_later_inserts_do_not_collide(seeded: tuple[TestDatabase, SeedReport]) -> None:
    """A second seed adds new tenants with fresh ids; afterwards API-style inserts get unused ids."""
    database, first = seeded
    before = int(scalar(database.owner_url, "select max(id) from applications"))
    second = seed(database.owner_url, applications=500, tenants=2, seed=11, progress=False)
    assert not set(second.tenants) & set(first.tenants)
    assert int(scalar(database.owner_url, "select count(*) from tenants")) == 8
    assert (
        int(scalar(database.owner_url, "select min(id) from applications where tenant_id = %s", (second.tenants[0],)))
        > before
    )
    with (
        ConnectionPool(database.app_url, min_size=1, max_size=1, open=True) as pool,
        transaction(pool, Principal("acme", None, Role.ADMIN)) as conn,
    ):
        cand = conn.execute(
            "insert into candidates (tenant_id, first_name, last_name, email)"
            " values ('acme', 'New', 'Person', 'new@example.com') returning id"
        ).fetchone()
        assert cand is not None
        job, stage = conn.execute("select job_id, id from job_stages where position = 1 limit 1").fetchall()[0]
        app = conn.execute(
            "insert into applications (tenant_id, candidate_id, job_id, current_stage_id)"
            " values ('acme', %s, %s, %s) returning id",
            (cand[0], job, stage),
        ).fetchone()
    top = int(scalar(database.owner_url, "select max(id) from applications"))
    assert app is not None
    assert app[0] == top
    for table in IDENTITY_TABLES:
        nxt = scalar(
            database.owner_url,
            sql.SQL("select nextval(pg_get_serial_sequence({}, 'id')) > (select coalesce(max(id), 0) from {})")
            .format(sql.Literal(f"public.{table}"), sql.Identifier(table))
            .as_string(),
        )
        assert nxt is True, table


def test_bad_sizes_are_refused_before_connecting() -> None:
    with pytest.raises(InvalidInput, match="tenants"):
        seed("postgresql://nobody@127.0.0.1:1/none", applications=2, tenants=3, seed=1, progress=False)
    with pytest.raises(InvalidInput):
        seed("postgresql://nobody@127.0.0.1:1/none", applications=0, tenants=1, seed=1, progress=False)


def test_user_triggers_still_fire(seeded: tuple[TestDatabase, SeedReport]) -> None:
    """custom_field_definitions has a trigger bumping the tenant's schema version: it ran once per field."""
    database, _ = seeded
    versions = scalar(database.owner_url, "select array_agg(distinct schema_version) from tenants")
    assert versions == [1 + len(CATALOG)]


def test_a_failed_seed_loads_nothing(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error halfway (here: while generating the second tenant's applications) rolls every lane back."""
    from pavedroad.recruiting.generator import seeder

    calls = {"n": 0}
    real = seeder.build_chunk  # type: ignore[attr-defined]  # the name the seeder calls, patched below

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("generator failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(seeder, "build_chunk", failing)
    with pytest.raises(RuntimeError, match="generator failed"):
        seed(database.owner_url, applications=1_000, tenants=3, seed=1, progress=False)
    for table in TABLES:
        count = scalar(database.owner_url, sql.SQL("select count(*) from {}").format(sql.Identifier(table)).as_string())
        assert count == 0, table


def test_a_database_error_while_copying_is_raised_and_rolls_back(database: TestDatabase) -> None:
    """A COPY refused by Postgres (here a duplicate department name) surfaces in the caller; nothing stays."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("set session_replication_role = replica")  # an orphan row, to collide with acme's setup
        conn.execute("insert into departments (tenant_id, id, name) values ('acme', 1, 'Engineering')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        seed(database.owner_url, applications=2_000, tenants=3, seed=1, progress=False)
    assert scalar(database.owner_url, "select count(*) from tenants") == 0
    assert scalar(database.owner_url, "select count(*) from applications") == 0
    assert scalar(database.owner_url, "select count(*) from departments") == 1
