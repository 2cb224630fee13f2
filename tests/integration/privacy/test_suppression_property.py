"""Property, on real Postgres through the protected path: for random EEOC answers, random k and random
groupings that touch sensitive fields (mixed with ordinary and person-identifying keys), no result ever
shows a sensitive value of a group smaller than k, and no hidden group can be recovered from a line
total — or the grouping is refused because a key identifies a person."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import cast

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg_pool import ConnectionPool

from pavedroad.privacy import ProtectedResult
from pavedroad.query import QueryError, run
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.reads import GUARDRAILS
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase

from .seed import World, seed_tenant

PEOPLE = 9
SENSITIVE = ("candidate.eeoc.gender", "candidate.eeoc.race_ethnicity", "candidate.eeoc.veteran_status")
ORDINARY = ("job.title", "status")
IDENTIFYING = ("candidate_id", "id", "candidate.email", "candidate.city")
GENDERS = ("female", "male", "non_binary", "decline")
RACES = ("white", "black", "asian")
VETERANS = ("veteran", "not_veteran", None)


@pytest.fixture
def world(database: TestDatabase) -> World:
    return seed_tenant(database.owner_url, "alpha", candidates=PEOPLE)


@pytest.fixture
def pool(database: TestDatabase) -> Iterator[ConnectionPool]:
    with ConnectionPool(database.app_url, min_size=1, max_size=2) as p:
        yield p


def _truth(world: World, answers: list[tuple[str, str, str | None]], keys: list[str]) -> Counter[tuple[object, ...]]:
    """Group sizes computed here from what the test wrote, one application per candidate."""
    values = []
    for i, (gender, race, veteran) in enumerate(answers):
        row = {
            "candidate.eeoc.gender": gender,
            "candidate.eeoc.race_ethnicity": race,
            "candidate.eeoc.veteran_status": veteran,
            "job.title": f"alpha {'secret' if i % 3 == 2 else 'open'} engineer",
            "status": "active",
        }
        values.append(tuple(row[k] for k in keys))
    return Counter(values)


def _lines(keys: list[tuple[object, ...]]) -> list[list[tuple[object, ...]]]:
    lines = [list(keys)]
    dims = len(keys[0]) if keys else 0
    for d in range(dims if dims > 1 else 0):
        groups: dict[tuple[object, ...], list[tuple[object, ...]]] = {}
        for key in keys:
            groups.setdefault(key[:d] + key[d + 1 :], []).append(key)
        lines.extend(groups.values())
    return lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answers=st.lists(
        st.tuples(st.sampled_from(GENDERS), st.sampled_from(RACES), st.sampled_from(VETERANS)),
        min_size=PEOPLE,
        max_size=PEOPLE,
    ),
    sensitive=st.lists(st.sampled_from(SENSITIVE), min_size=1, max_size=2, unique=True),
    others=st.lists(st.sampled_from(ORDINARY + IDENTIFYING), max_size=2, unique=True),
    order=st.randoms(use_true_random=False),
    k=st.integers(min_value=2, max_value=6),
)
def test_no_grouping_shows_a_sensitive_value_of_a_group_under_k(  # noqa: PLR0917 - hypothesis draws
    pool: ConnectionPool,
    world: World,
    database: TestDatabase,
    answers: list[tuple[str, str, str | None]],
    sensitive: list[str],
    others: list[str],
    order: object,
    k: int,
) -> None:
    with psycopg.connect(database.owner_url) as conn:
        conn.execute("update tenants set min_group_size = %s where tenant_id = 'alpha'", (k,))
        for cid, (gender, race, veteran) in zip(world.candidates, answers, strict=True):
            conn.execute(
                "update eeoc_responses set gender = %s, race_ethnicity = %s, veteran_status = %s"
                " where tenant_id = 'alpha' and candidate_id = %s",
                (gender, race, veteran, cid),
            )
    keys = [*sensitive, *others]
    order.shuffle(keys)  # type: ignore[attr-defined]
    query = f"applications | group {', '.join(keys)} | aggregate n = count()"
    principal = Principal("alpha", world.users["admin"], Role.ADMIN)
    if set(keys) & set(IDENTIFYING):  # a key that points at one person: refused before it runs
        with pytest.raises(QueryError, match="Q304"):
            run(pool, principal, query, model=recruiting_model(), guard=GUARDRAILS)
        return
    body = cast(ProtectedResult, run(pool, principal, query, model=recruiting_model(), guard=GUARDRAILS))
    truth = _truth(world, answers, keys)
    shown: dict[tuple[object, ...], int] = {}
    for row, hidden in zip(body.rows, body.suppressed, strict=True):
        if hidden:
            assert all(value is None for value in row), f"a suppressed row shows {row}"
            continue
        key = tuple(row[: len(keys)])
        assert truth[key] >= k, f"{query}: group {key} of {truth[key]} < {k} shown"
        assert row[-1] == truth[key]
        shown[key] = truth[key]
    assert len(body.rows) == len(truth)
    for line in _lines(list(truth)):
        hidden_keys = [key for key in line if key not in shown]
        if hidden_keys and len(hidden_keys) < len(line):  # visible cells subtracted from the line total
            assert len(hidden_keys) >= 2, f"{query}: one hidden cell in a line {line}"
            assert sum(truth[key] for key in hidden_keys) >= k
