"""Data subject requests: export returns all of one candidate's data and nobody else's; erase anonymises
across tables and outbox payloads, keeps the facts, honours holds and retention, and is audited."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from pavedroad import events
from pavedroad.cli.guard import stack_registry
from pavedroad.errors import Conflict, NotFound
from pavedroad.privacy import erase_subject, export_subject, place_hold, release_holds, to_json
from pavedroad.tenancy import Principal, Role, drive, set_tenant
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant


@pytest.fixture
def worlds(database: TestDatabase) -> tuple[World, World]:
    return seed_tenant(database.owner_url, "alpha"), seed_tenant(database.owner_url, "beta")


def _audit(owner_url: str, action: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(owner_url) as conn:
        return conn.execute(
            "select tenant_id, entity, subject_id, outcome, reason, row_count from audit_events where action = %s",
            (action,),
        ).fetchall()


def test_export_has_every_linked_table_and_only_that_candidate(
    database: TestDatabase, worlds: tuple[World, World]
) -> None:
    alpha, _ = worlds
    cid = alpha.candidates[0]
    with psycopg.connect(database.owner_url) as conn:
        data = json.loads(to_json(export_subject(conn, "alpha", "candidates", cid)))
    tables = data["tables"]
    assert set(tables) >= {
        "candidates",
        "applications",
        "stage_transitions",
        "interviews",
        "scorecards",
        "offers",
        "eeoc_responses",
        "interview_participants",
    }
    assert [r["id"] for r in tables["candidates"]] == [cid]
    assert {r["candidate_id"] for r in tables["applications"]} == {cid}
    assert all(r["tenant_id"] == "alpha" for rows in tables.values() for r in rows)
    assert tables["candidates"][0]["email"] == "ada.alpha.0@candidate.example"
    assert _audit(database.owner_url, "export") == [("alpha", "candidates", str(cid), "ok", None, data_rows(tables))]


def data_rows(tables: dict[str, list[object]]) -> int:
    return sum(len(rows) for rows in tables.values())


def test_another_tenants_candidate_is_not_found(database: TestDatabase, worlds: tuple[World, World]) -> None:
    _, beta = worlds
    with psycopg.connect(database.owner_url) as conn, pytest.raises(NotFound):
        export_subject(conn, "alpha", "candidates", beta.candidates[0])


def test_erase_anonymises_personal_data_and_keeps_facts(database: TestDatabase, worlds: tuple[World, World]) -> None:
    alpha, beta = worlds
    cid, app = alpha.candidates[0], alpha.applications[0]
    with psycopg.connect(database.owner_url) as conn:
        with conn.transaction():
            set_tenant(conn, Principal("alpha", None, Role.ADMIN))
            event = events.Event(
                type="candidate_created",
                tenant_id="alpha",
                aggregate_type="candidate",
                aggregate_id=str(cid),
                payload={"email": "ada.alpha.0@candidate.example", "n": 1},
                classification={"email": "personal", "n": "internal"},
            )
            drive(conn, events.append_statements([event]))
        report = erase_subject(conn, stack_registry(), "alpha", "candidates", cid)
        cand = conn.execute(
            "select first_name, last_name, email, phone, city, custom, created_at from candidates"
            " where tenant_id = 'alpha' and id = %s",
            (cid,),
        ).fetchone()
        eeoc = conn.execute(
            "select gender, race_ethnicity from eeoc_responses where tenant_id = 'alpha' and candidate_id = %s", (cid,)
        ).fetchone()
        kept = conn.execute(
            "select a.status, a.applied_at is not null, o.salary, s.overall_rating, s.notes"
            " from applications a"
            " join offers o on o.tenant_id = a.tenant_id and o.application_id = a.id"
            " join scorecards s on s.tenant_id = a.tenant_id and s.application_id = a.id"
            " where a.tenant_id = 'alpha' and a.id = %s",
            (app,),
        ).fetchone()
        payload = conn.execute("select payload from event_outbox where event_id = %s", (event.id,)).fetchone()
        untouched = conn.execute(
            "select count(*) from candidates where tenant_id = 'beta' and email like 'ada.%%'"
        ).fetchone()
    assert cand is not None
    assert eeoc is not None
    assert kept is not None
    assert payload is not None
    assert cand[:5] == ("erased", "erased", "erased", None, None)
    assert cand[5] == {}
    assert cand[6] is not None  # when the candidate was created is a fact, not an identifier
    assert eeoc == (None, None)
    assert kept[:4] == ("active", True, 100_000, 4)  # analytics facts survive
    assert kept[4] == "erased"  # free-text notes described the person
    assert payload[0] == {"email": None, "n": 1}
    assert untouched == (len(beta.candidates),)
    assert report.outbox_events_scrubbed == 1
    assert report.rows_changed["candidates"] == 1
    assert _audit(database.owner_url, "erase")[0][:4] == ("alpha", "candidates", str(cid), "ok")
    with psycopg.connect(database.owner_url) as conn:
        assert erase_subject(conn, stack_registry(), "alpha", "candidates", cid).already_erased


def test_a_legal_hold_blocks_erasure_until_released(database: TestDatabase, worlds: tuple[World, World]) -> None:
    alpha, _ = worlds
    cid = alpha.candidates[1]
    with psycopg.connect(database.owner_url) as conn:
        place_hold(conn, "alpha", "candidates", cid, reason="case 42")
        with pytest.raises(Conflict, match="legal hold"):
            erase_subject(conn, stack_registry(), "alpha", "candidates", cid)
        assert conn.execute("select email from candidates where id = %s", (cid,)).fetchone() == (
            "ada.alpha.1@candidate.example",
        )
        assert release_holds(conn, "alpha", "candidates", cid, reason="case closed") == 1
        assert erase_subject(conn, stack_registry(), "alpha", "candidates", cid).total > 0
    outcomes = [row[3] for row in _audit(database.owner_url, "erase")]
    assert sorted(outcomes) == ["denied", "ok"]


def test_a_retention_minimum_defers_erasure(database: TestDatabase, worlds: tuple[World, World]) -> None:
    alpha, _ = worlds
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("insert into retention_minimums values ('alpha', 'applications', 'applied_at', 365, 'EEO-1')")
        conn.commit()
        with pytest.raises(Conflict, match=r"applications must be kept for 365 days \(EEO-1\)"):
            erase_subject(conn, stack_registry(), "alpha", "candidates", alpha.candidates[2])
    [denied] = _audit(database.owner_url, "erase")
    assert denied[3:5] == ("denied", "P410")


def test_audit_events_are_append_only(database: TestDatabase, worlds: tuple[World, World]) -> None:
    alpha, _ = worlds
    with psycopg.connect(database.owner_url) as conn:
        export_subject(conn, "alpha", "candidates", alpha.candidates[0])
    with psycopg.connect(database.app_url) as conn, conn.transaction():
        set_tenant(conn, Principal("alpha", None, Role.ADMIN))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from audit_events")
    with psycopg.connect(database.owner_url) as conn:  # even the owner is refused by the trigger
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("update audit_events set outcome = 'ok'")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("truncate audit_events")


def _mirror(owner_url: str, tables: list[str]) -> object:
    """A DuckDB copy of ``tables`` (JSON columns left out), like the warehouse's mirror."""
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

    duck = duckdb.connect()
    with psycopg.connect(owner_url) as conn:
        for table in tables:
            cur = conn.execute(f"select * from {table}")
            names = [d.name for d in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            arrow = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "custom"} for r in rows])
            duck.register("incoming", arrow)
            duck.execute(f'create table "{table}" as select * from incoming')
            duck.unregister("incoming")
    return duck


def test_erasure_reaches_the_warehouse_copy(database: TestDatabase, worlds: tuple[World, World]) -> None:
    from pavedroad.privacy import erase_in_warehouse, reapply_erasures

    alpha, _ = worlds
    cid = alpha.candidates[3]
    duck = _mirror(database.owner_url, ["candidates", "applications", "eeoc_responses", "interviews", "scorecards"])
    with psycopg.connect(database.owner_url) as conn:
        erase_subject(conn, stack_registry(), "alpha", "candidates", cid)
        changed = erase_in_warehouse(duck, conn, stack_registry(), tenant="alpha", table="candidates", subject_id=cid)
        assert changed == {"candidates": 1, "eeoc_responses": 1, "scorecards": 1}
        mine = duck.execute("select first_name, email, phone from candidates where id = ?", [cid]).fetchone()  # type: ignore[attr-defined]
        others = duck.execute("select count(*) from candidates where email like 'ada.%'").fetchone()  # type: ignore[attr-defined]
        gender = duck.execute("select gender from eeoc_responses where candidate_id = ?", [cid]).fetchone()  # type: ignore[attr-defined]
        assert mine == ("erased", "erased", None)
        assert others == (len(alpha.candidates) * 2 - 1,)  # both tenants' other candidates untouched
        assert gender == (None,)
        duck.execute("update candidates set email = 'restored@from.replay' where id = ?", [cid])  # type: ignore[attr-defined]
        assert reapply_erasures(duck, conn, stack_registry()) == 1
        again = duck.execute("select email from candidates where id = ?", [cid]).fetchone()  # type: ignore[attr-defined]
    assert again == ("erased",)
