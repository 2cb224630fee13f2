"""A hostile tenant, replayed: with every key of tenant alpha, call every OpenAPI route of the service and a
few hundred generated queries (every entity and field, navigations, custom fields, aggregates, windows,
explain), aiming at tenant beta's ids; beta's data carries planted markers. Nothing of beta may come back:
no marker, and no beta id (beta's rows are numbered from ``B_FLOOR`` on, alpha's far below).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from pavedroad.flags import Actor, parse_flag_set
from pavedroad.flags.store import import_flag_set, run
from pavedroad.recruiting.model import recruiting_model
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.testing import TestDatabase
from tests.integration.privacy.seed import World, seed_tenant

MARK = "ZQXBETA"  # in beta's names, notes and custom fields
B_FLOOR = 9_000_000  # every beta id is at least this; alpha's ids are small
ROLES = ("admin", "recruiter", "hiring_manager", "interviewer", "compliance")
_NUMBER = re.compile(r"(?<![\w.])(\d{7,})(?![\w.])")


@dataclass
class Hostile:
    client: TestClient
    keys: dict[str, str]  # alpha's, per role
    beta: World
    beta_ids: dict[str, list[int]] = field(default_factory=dict)  # table -> ids
    calls: int = 0

    def call(self, role: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[role]}", "Idempotency-Key": f"hostile-{self.calls}"}
        self.calls += 1
        response = self.client.request(method, path, headers=headers, json=body)
        assert response.status_code < 500, f"{role} {method} {path}: {response.status_code} {response.text[:300]}"
        text = response.text
        if isinstance(body, dict) and isinstance(body.get("query"), str):  # explain echoes the query it was sent
            text = text.replace(json.dumps(body["query"]), "")
        leaked = leaks(text)
        if path == "/v1/query" and response.status_code == 200:  # the rows may hold no beta id, even one sent
            leaked = leaks(json.dumps(response.json()["rows"])) + [m for m in leaked if m == MARK]
        else:  # a refusal may name the id the caller sent, and explain echoes the query
            sent = set(_NUMBER.findall(f"{path} {json.dumps(body)}"))
            leaked = [x for x in leaked if x not in sent]
        assert leaked == [], f"{role} {method} {path} {json.dumps(body)[:200]} returned {leaked}: {_around(text)}"
        return response


def _around(text: str) -> str:
    at = max(text.find(MARK), 0)
    return text[max(0, at - 200) : at + 100]


def leaks(text: str) -> list[str]:
    """Markers, and numbers in beta's id range, found in a response body."""
    found = [MARK] if MARK in text else []
    return found + [n for n in _NUMBER.findall(text) if B_FLOOR <= int(n) < B_FLOOR * 2]


def _renumber_from(conn: psycopg.Connection, start: int) -> None:
    """Every identity column of the public schema continues at ``start``."""
    for table, column in conn.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'public' and is_identity = 'YES'"
    ).fetchall():
        conn.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} RESTART WITH {}").format(
                sql.Identifier(table), sql.Identifier(column), sql.Literal(start)
            )
        )


_PLANT = [
    "update candidates set first_name = {m} || 'F' || id, last_name = {m} || 'L' || id, city = {m} || 'city',"
    " phone = {m} || 'phone', linkedin_url = {m} || 'url',"
    " custom = jsonb_build_object('marker_note', {m} || 'note', 'expected_salary', 9123456, 'nickname', {m})",
    "update applications set custom = jsonb_build_object('marker_note', {m} || 'app'), archive_reason = 'other'",
    "update jobs set title = {m} || 'job' || id, custom = jsonb_build_object('marker_note', {m} || 'job')",
    "update departments set name = {m} || 'dept'",
    "update locations set name = {m} || 'loc', country = 'ZZ'",
    "update sources set name = {m} || 'source'",
    "update job_stages set name = {m} || 'stage'",
    "update users set name = {m} || 'user' || id",
    "update scorecards set notes = {m} || 'notes'",
    "update custom_field_definitions set label = {m} || 'label'",
    "update tenants set name = {m} || 'tenant'",
]
FLAGS = {"flags": {"banner": {"state": "ENABLED", "variants": {"a": "hello", "b": "bye"}, "defaultVariant": "a"}}}
_CUSTOM_FIELDS = [
    ("candidates", "marker_note", "text", "internal"),
    ("candidates", "expected_salary", "number", "confidential"),
    ("applications", "marker_note", "text", "internal"),
    ("jobs", "marker_note", "text", "internal"),
]


def _define_custom_fields(conn: psycopg.Connection[Any], tenant: str) -> None:
    for entity, key, kind, label in _CUSTOM_FIELDS:
        conn.execute(
            "insert into custom_field_definitions (tenant_id, entity, key, label, field_type, classification)"
            " values (%s, %s, %s, %s, %s, %s)",
            (tenant, entity, key, key, kind, label),
        )


@pytest.fixture
def hostile(database: TestDatabase, tmp_path: Path) -> Iterator[Hostile]:
    seed_tenant(database.owner_url, "alpha", candidates=6)
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha"])["alpha"]
    with psycopg.connect(database.owner_url) as conn:
        conn.execute('update candidates set custom = custom || \'{"marker_note": "alpha note", "expected_salary": 1}\'')
        _define_custom_fields(conn, "alpha")  # before the renumbering: every id of alpha's stays small
        _renumber_from(conn, B_FLOOR + 1)
    beta = seed_tenant(database.owner_url, "beta", candidates=6)
    with psycopg.connect(database.owner_url) as conn:
        _define_custom_fields(conn, "beta")
        for statement in _PLANT:
            conn.execute(sql.SQL(statement + " where tenant_id = 'beta'").format(m=sql.Literal(MARK)))
        beta_ids = {
            table: [r[0] for r in conn.execute(sql.SQL("select id from {} where tenant_id = 'beta'").format(
                sql.Identifier(table)))]
            for table in ("candidates", "applications", "jobs", "interviews", "scorecards", "offers", "job_stages",
                          "users", "sources", "departments")
        }  # fmt: skip
        alpha_max = conn.execute("select max(id) from applications where tenant_id = 'alpha'").fetchone()
    assert min(min(ids) for ids in beta_ids.values()) > B_FLOOR
    assert alpha_max is not None
    assert alpha_max[0] < B_FLOOR
    with psycopg.connect(database.owner_url) as conn, conn.transaction():
        run(conn, import_flag_set(parse_flag_set(FLAGS), actor=Actor.platform("platform"), reason="seed"))
    app = create_app(load_settings(), database.app_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Hostile(client, keys, beta, beta_ids)


def _route_calls(h: Hostile) -> list[tuple[str, str, Any]]:
    """(method, path, body) for every OpenAPI route, path ids and body ids taken from beta."""
    b = h.beta_ids
    app_id, interview, offer = b["applications"][0], b["interviews"][0], b["offers"][0]
    stage, user = b["job_stages"][0], h.beta.users["interviewer"]
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v1/applications"): {
            "job_id": b["jobs"][0],
            "candidate_id": b["candidates"][0],
            "source_id": b["sources"][0],
        },
        ("POST", "/v1/applications/{application_id}/moves"): {"to_stage_id": stage},
        ("POST", "/v1/applications/{application_id}/archive"): {"reason": "other"},
        ("POST", "/v1/applications/{application_id}/hire"): None,
        ("POST", "/v1/applications/{application_id}/interviews"): {
            "stage_id": stage,
            "scheduled_at": "2030-01-01T10:00:00Z",
            "participant_ids": [user],
        },
        ("POST", "/v1/interviews/{interview_id}/scorecards"): {"recommendation": "yes", "overall_rating": 4},
        ("POST", "/v1/applications/{application_id}/offers"): {"salary": 1000, "currency": "USD"},
        ("POST", "/v1/offers/{offer_id}/resolution"): {"status": "accepted"},
        ("POST", "/v1/query"): {"query": "candidates | select id, first_name"},
        ("POST", "/v1/query/explain"): {"query": "candidates | select id", "analyze": True},
        ("POST", "/v1/canary/verdict"): {"baseline": "v1", "canary": "v2"},
        ("POST", "/v1/canary/webhooks/flagger"): {},
    }
    fill = {
        "application_id": app_id,
        "interview_id": interview,
        "offer_id": offer,
        "key": "banner",
        "rollout": "recruiting",
        "name": "availability",
    }
    calls = []
    for path, operations in h.client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method in operations:
            concrete = path
            for name, value in fill.items():
                concrete = concrete.replace("{" + name + "}", str(value))
            if "tenant" in [p["name"] for p in operations[method].get("parameters", [])]:
                concrete += "?tenant=beta"  # a parameter naming a tenant must not reach another one
            body = bodies.get((method.upper(), path))
            if body is None and method.upper() == "POST" and "/flags/" in path:
                body = {"reason": "hostile"}
            calls.append((method.upper(), concrete, body))
    return calls


def test_every_route_with_every_alpha_key_returns_nothing_of_beta(hostile: Hostile) -> None:
    calls = _route_calls(hostile)
    assert len(calls) >= 25  # every route of the OpenAPI document
    for role in ROLES:
        for method, path, body in calls:
            response = hostile.call(role, method, path, body)
            if any(str(i) in path for ids in hostile.beta_ids.values() for i in ids):
                assert response.status_code in (400, 403, 404, 409, 422), (role, method, path, response.text[:200])


def _queries(h: Hostile) -> list[str]:
    """Every entity and field, navigations, custom fields, aggregates, windows, and beta's ids as filters."""
    model = recruiting_model()
    b = h.beta_ids
    out: list[str] = []
    for name, entity in model.entities.items():
        fields = [f for f in entity.fields if f != "tenant_id"]
        out.append(f"{name} | select {', '.join(fields)}")
        out.append(f"{name} | aggregate n = count()")
        for f in fields:
            out.append(f"{name} | group {f} | aggregate n = count()")
        if "id" in entity.fields:
            table_ids = b.get(entity.table) or b["applications"]
            out.append(f"{name} | where id = {table_ids[0]} | select id")
            out.append(f"{name} | where id in ({', '.join(map(str, table_ids[:3]))}) | aggregate n = count()")
            out.append(
                f"{name} | group id | aggregate n = count() | derive place = rank(-n), share = percent_of_total(n)"
            )
        for rel_name, rel in entity.relations.items():
            target = model.entities[rel.entity]
            if rel.cardinality == "many_to_one":
                for f in [f for f in target.fields if f != "tenant_id"][:4]:
                    out.append(f"{name} | select {rel_name}.{f}")
            else:
                out.append(f"{name} | derive k = count({rel_name}) | select k")
    out += [
        "candidates | select id, custom.marker_note, custom.expected_salary",
        "candidates | group custom.marker_note | aggregate n = count()",
        "candidates | aggregate s = sum(custom.expected_salary), m = max(custom.expected_salary)",
        'candidates | where custom.marker_note = "ZQXBETAnote" | select id',
        'candidates | where first_name like "ZQX%" | select id',
        "applications | select id, custom.marker_note, candidate.custom.marker_note, job.custom.marker_note",
        "applications | group job.title | aggregate n = count() | derive r = rank(-n)",
        "applications | group candidate.city | aggregate n = count()",
        "applications | group job.department.name, source.name | aggregate n = count()",
        "applications | select id, candidate.first_name, job.title, stage.name, source.name",
        "scorecards | select id, notes, interviewer.name, application.candidate.email",
        "offers | group application.job.title | aggregate total = sum(salary), n = count()",
        "interviews | group stage.name | aggregate n = count() | derive total = running_total(n, stage.name)",
        "applications | group status | aggregate n = count() | sort n | take 5",
        "applications | sort applied_at desc | page size 3",
    ]
    return out


def test_generated_queries_with_every_alpha_key_return_nothing_of_beta(hostile: Hostile) -> None:
    queries = _queries(hostile)
    assert len(queries) >= 200
    answered = 0
    for n, query in enumerate(queries):  # each query under one of alpha's roles in turn; the hand-written
        roles = ROLES if n >= len(queries) - 15 else (ROLES[n % len(ROLES)],)  # tail under every role
        for role in roles:
            response = hostile.call(role, "POST", "/v1/query", {"query": query})
            answered += response.status_code == 200
    assert answered > len(queries) // 2  # most are valid queries, not refusals


def test_explain_with_every_alpha_key_returns_nothing_of_beta(hostile: Hostile) -> None:
    # Explain echoes the query and its parameters: a probe that spells the marker itself gets it back.
    queries = [q for q in _queries(hostile)[::9] if MARK not in q]
    for role in ROLES:
        for n, query in enumerate(queries):
            hostile.call(role, "POST", "/v1/query/explain", {"query": query, "analyze": n % 2 == 0})


def test_flag_history_of_another_tenant_stays_out_of_sight(
    hostile: Hostile, database: TestDatabase, tmp_path: Path
) -> None:
    beta_admin = ensure_demo_keys(database.owner_url, tmp_path / "beta-keys.json", ["beta"])["beta"]["admin"]
    as_beta = {"Authorization": f"Bearer {beta_admin}"}
    key = "banner"
    body = {"reason": f"{MARK} incident", "scope": "global"}  # a tenant admin acting for every tenant
    done = hostile.client.post(f"/v1/flags/{key}/kill", headers=as_beta, json=body)
    assert done.status_code in (200, 403), done.text
    for role in ROLES:
        hostile.call(role, "GET", f"/v1/flags/{key}")
        hostile.call(role, "GET", "/v1/flags")
