"""Row builders, checked in memory (no database): plans, teams, people, offers and determinism."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import pytest

from pavedroad.recruiting.generator.application_rows import EEOC_ANSWERS, build_chunk
from pavedroad.recruiting.generator.columns import TABLES, Batch, Ids
from pavedroad.recruiting.generator.custom import CATALOG, FIELD_TYPES
from pavedroad.recruiting.generator.funnel import STAGE_TYPES
from pavedroad.recruiting.generator.org_rows import ROLES
from pavedroad.recruiting.generator.plan import REFERENCE, plan_tenants
from pavedroad.recruiting.generator.tenant_rows import build_world

APPLICATIONS = 6_000


def _generate(seed: int = 1) -> dict[str, Any]:
    plan = plan_tenants(APPLICATIONS, 1, seed)[0]
    ids = Ids({})
    world, setup = build_world(plan, seed, ids)
    chunk = build_chunk(world, seed, 0, APPLICATIONS, ids)
    return dict([*setup.tables, *chunk.tables])


@pytest.fixture(scope="module")
def tables() -> dict[str, Any]:
    return _generate()


def col(tables: dict[str, Any], table: str, column: str) -> np.ndarray:
    return np.asarray(tables[table].column(column).to_numpy(zero_copy_only=False))


def test_every_table_is_generated_with_its_columns(tables: dict[str, Any]) -> None:
    assert set(tables) == set(TABLES)
    assert all(t.num_rows > 0 for t in tables.values())
    assert tables["applications"].num_rows == APPLICATIONS


def test_users_cover_every_role_with_unique_emails(tables: dict[str, Any]) -> None:
    roles = Counter(col(tables, "users", "role"))
    assert set(roles) == set(ROLES)
    emails = col(tables, "users", "email")
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@acme.example") for e in emails)


def test_every_job_has_a_plan_of_four_to_seven_stages(tables: dict[str, Any]) -> None:
    stages = tables["job_stages"].to_pylist()
    plans: dict[int, list[tuple[int, str]]] = {}
    for s in stages:
        plans.setdefault(s["job_id"], []).append((s["position"], s["stage_type"]))
    assert set(plans) == set(col(tables, "jobs", "id"))
    for plan in plans.values():
        kinds = [k for _, k in sorted(plan)]
        assert 4 <= len(kinds) <= 7
        assert kinds[0] == "application_review"
        assert kinds[-2:] == ["offer", "hired"]
        assert [STAGE_TYPES.index(k) for k in kinds] == sorted(STAGE_TYPES.index(k) for k in kinds)


def test_hiring_teams_have_distinct_members_and_the_key_roles(tables: dict[str, Any]) -> None:
    team = tables["job_hiring_team"].to_pylist()
    pairs = [(t["job_id"], t["user_id"]) for t in team]
    assert len(set(pairs)) == len(pairs)
    per_job: dict[int, Counter[str]] = {}
    for t in team:
        per_job.setdefault(t["job_id"], Counter())[t["team_role"]] += 1
    assert all(
        c["hiring_manager"] == 1 and c["recruiter"] == 1 and 3 <= c["interviewer"] <= 5 for c in per_job.values()
    )


def test_some_jobs_are_confidential_and_ids_follow_opening_order(tables: dict[str, Any]) -> None:
    confidential = col(tables, "jobs", "confidential")
    assert 0 < confidential.mean() < 0.2
    opened = col(tables, "jobs", "opened_at")
    assert np.all(np.diff(opened.astype("int64")) >= 0)


def test_candidates_sometimes_apply_more_than_once(tables: dict[str, Any]) -> None:
    per_candidate = Counter(col(tables, "applications", "candidate_id"))
    multi = sum(1 for n in per_candidate.values() if n > 1)
    assert 0.05 < multi / len(per_candidate) < 0.3
    assert set(per_candidate) == set(col(tables, "candidates", "id"))


def test_eeoc_is_answered_by_about_sixty_percent_with_declines(tables: dict[str, Any]) -> None:
    share = tables["eeoc_responses"].num_rows / tables["candidates"].num_rows
    assert 0.55 < share < 0.65
    for question, (answers, _) in EEOC_ANSWERS.items():
        seen = set(col(tables, "eeoc_responses", question))
        assert "decline" in seen
        assert seen <= set(answers)


def test_offers_accepted_exactly_for_hired_applications(tables: dict[str, Any]) -> None:
    status = dict(zip(col(tables, "applications", "id"), col(tables, "applications", "status"), strict=True))
    offers = tables["offers"].to_pylist()
    last: dict[int, dict[str, Any]] = {}
    for o in offers:
        if o["application_id"] not in last or o["version"] > last[o["application_id"]]["version"]:
            last[o["application_id"]] = o
    accepted = {a for a, o in last.items() if o["status"] == "accepted"}
    assert accepted == {a for a, s in status.items() if s == "hired"}
    assert {o["status"] for o in offers} >= {"accepted", "declined", "rescinded"}
    assert all(o["salary"] > 0 for o in offers)


def test_scorecards_only_for_completed_interviews_by_participants(tables: dict[str, Any]) -> None:
    status = dict(zip(col(tables, "interviews", "id"), col(tables, "interviews", "status"), strict=True))
    seats = set(
        zip(
            col(tables, "interview_participants", "interview_id"),
            col(tables, "interview_participants", "user_id"),
            strict=True,
        )
    )
    cards = tables["scorecards"].to_pylist()
    assert cards
    assert all(status[c["interview_id"]] == "completed" for c in cards)
    assert all((c["interview_id"], c["interviewer_id"]) in seats for c in cards)
    assert all(1 <= c["overall_rating"] <= 5 for c in cards)
    per_interview = Counter(col(tables, "interview_participants", "interview_id"))
    assert set(per_interview.values()) <= {1, 2, 3, 4}


def test_nothing_is_dated_after_the_reference_date(tables: dict[str, Any]) -> None:
    limit = np.datetime64(REFERENCE, "s")
    for name, table in tables.items():
        for field in table.schema:
            if str(field.type).startswith("timestamp") and name != "interviews":
                values = table.column(field.name).drop_null().to_numpy()
                assert np.all(values <= limit), f"{name}.{field.name}"


def test_custom_values_match_their_declared_types(tables: dict[str, Any]) -> None:
    checks = {
        "text": lambda v, f: v in f.options,
        "number": lambda v, f: isinstance(v, int) and f.span[0] <= v <= f.span[1],
        "date": lambda v, f: isinstance(v, str) and len(v) == 10 and v[4] == "-",
        "boolean": lambda v, f: isinstance(v, bool),
        "single_select": lambda v, f: v in f.options,
        "multi_select": lambda v, f: isinstance(v, list) and len(v) >= 1 and set(v) <= set(f.options),
    }
    for entity in ("candidates", "applications", "jobs"):
        fields = {f.key: f for f in CATALOG if f.entity == entity}
        assert {f.field_type for f in fields.values()} == set(FIELD_TYPES)
        seen = set()
        for text in col(tables, entity, "custom"):
            for key, value in json.loads(text).items():
                assert checks[fields[key].field_type](value, fields[key]), (entity, key, value)
                seen.add(key)
        assert seen == set(fields)
    assert {f.classification for f in CATALOG} >= {"personal", "compensation"}


def test_same_seed_same_rows_other_seed_other_rows(tables: dict[str, Any]) -> None:
    again = _generate(seed=1)
    other = _generate(seed=2)
    assert all(tables[name].equals(again[name]) for name in TABLES)
    assert not tables["applications"].equals(other["applications"])


def test_batch_counts_rows() -> None:
    batch = Batch(applications=2)
    batch.add("tenants", {"tenant_id": ["a", "b"]})
    assert batch.rows == 2


def test_another_reference_date_shifts_every_timestamp_by_the_same_days() -> None:
    """``reference`` moves "now": the same pipeline, every timestamp later by exactly the difference."""
    days = 145
    plan = plan_tenants(APPLICATIONS, 1, 1, reference=REFERENCE + days * 86_400)[0]
    ids = Ids({})
    world, setup = build_world(plan, 1, ids)
    shifted = dict([*setup.tables, *build_chunk(world, 1, 0, APPLICATIONS, ids).tables])
    base = _generate(seed=1)
    for name in TABLES:
        for field in base[name].schema:
            if str(field.type).startswith("timestamp"):
                before = base[name].column(field.name).cast("int64").to_numpy(zero_copy_only=False)
                after = shifted[name].column(field.name).cast("int64").to_numpy(zero_copy_only=False)
                assert np.array_equal(
                    after[~np.isnan(before)] - before[~np.isnan(before)],
                    np.full(int((~np.isnan(before)).sum()), days * 86_400),
                ), f"{name}.{field.name}"
            elif field.name not in {"custom", "start_date"}:
                assert base[name].column(field.name).equals(shifted[name].column(field.name)), f"{name}.{field.name}"


def test_the_reference_must_be_a_midnight() -> None:
    with pytest.raises(ValueError, match="midnight"):
        plan_tenants(10, 1, 1, reference=REFERENCE + 3600)
