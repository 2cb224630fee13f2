"""Property: no request body, however malformed, deep or unencodable, makes the service answer 5xx.

Random bytes, random JSON (lone surrogates included, escaped as any JSON encoder writes them), JSON
nested thousands deep, and pipeline text stitched from grammar fragments go into every position of
``POST /v1/query`` (text and JSON forms, params, cursor), ``/v1/query/explain`` and each write route's
body, against the real service on the real database. The service runs in its own interpreter
(``LiveServiceProcess``), so nothing it does touches this process's ``random`` while Hypothesis draws.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.testing import TestServers
from pavedroad.testing.live import LiveServiceProcess
from tests.integration.service.conftest import _seed_minimal

HOLE = "__hole__"


@dataclass(frozen=True)
class Target:
    """A route and a valid body for it; ``HOLE`` marks where a generated value replaces a field."""

    path: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Service:
    url: str
    key: str
    ids: dict[str, int]


@pytest.fixture(scope="module")
def service(servers: TestServers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """alpha's job 1 with stages and a source, one application, interview and offer to write to."""
    db = servers.new_database("property")
    _seed_minimal(db.owner_url)
    with psycopg.connect(db.owner_url) as conn:
        stage = conn.execute(
            "insert into job_stages (tenant_id, job_id, position, name, stage_type)"
            " values ('alpha', 1, 1, 'Review', 'application_review') returning id"
        ).fetchone()
        conn.execute("insert into sources (tenant_id, id, name, kind) values ('alpha', 1, 'Referral', 'referral')")
    assert stage is not None
    keys = ensure_demo_keys(db.owner_url, Path(tmp_path_factory.mktemp("keys")) / "keys.json", ["alpha", "beta"])
    with LiveServiceProcess(db.app_url) as live:
        key = keys["alpha"]["admin"]
        with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            app = http.post("/v1/applications", json=_valid_application()).json()["application_id"]
            interview = http.post(
                f"/v1/applications/{app}/interviews",
                json={"stage_id": stage[0], "scheduled_at": "2026-12-01T15:00:00Z", "participant_ids": [1]},
            ).json()
            offer = http.post(f"/v1/applications/{app}/offers", json={"salary": "1000.00"}).json()
        ids = {"app": app, "stage": stage[0], "interview": interview.get("interview_id", 1),
               "offer": offer.get("offer_id", 1)}  # fmt: skip
        yield Service(live.url, key, ids)
    servers.drop_database(db)


def _valid_application() -> dict[str, Any]:
    candidate = {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "custom": {"nick": "A"}}
    return {"job_id": 1, "source_id": 1, "candidate": candidate, "custom": {"tier": "a"}}


def _targets(ids: dict[str, int]) -> list[Target]:
    app, stage, interview, offer = ids["app"], ids["stage"], ids["interview"], ids["offer"]
    query = "candidates | where first_name = $name | select first_name"
    new = _valid_application()
    return [
        Target("/v1/query", {"query": HOLE}),
        Target("/v1/query", {"query": query, "params": {"name": HOLE}}),
        Target("/v1/query", {"query": query, "params": HOLE}),
        Target("/v1/query", {"query": {"from": "applications", "steps": [{"where": HOLE}]}}),
        Target("/v1/query", {"query": {"from": "jobs", "steps": [{"derive": [{"name": "x", "expr": HOLE}]}]}}),
        Target("/v1/query", {"query": {"from": HOLE, "steps": []}}),
        Target("/v1/query", {"query": {"from": "jobs", "steps": HOLE}}),
        Target("/v1/query", {"query": "jobs | page size 5 after $c", "params": {"c": HOLE}}),
        Target("/v1/query", {"query": "jobs | page size 5", "cursor": HOLE}),
        Target("/v1/query/explain", {"query": HOLE, "analyze": True}),
        Target("/v1/query/explain", {"query": query, "params": {"name": HOLE}, "analyze": HOLE}),
        Target("/v1/applications", {"body": HOLE}),
        Target("/v1/applications", {**new, "custom": HOLE}),
        Target("/v1/applications", {**new, "custom": {"tier": HOLE}}),
        Target("/v1/applications", {**new, "candidate": {**new["candidate"], "first_name": HOLE}}),
        Target(f"/v1/applications/{app}/moves", {"to_stage_id": HOLE}),
        Target(f"/v1/applications/{app}/archive", {"reason": HOLE}),
        Target(f"/v1/applications/{app}/hire", {"at": HOLE}),
        Target(f"/v1/applications/{app}/interviews", {"stage_id": stage, "scheduled_at": HOLE, "participant_ids": [1]}),
        Target(f"/v1/interviews/{interview}/scorecards", {"recommendation": "yes", "overall_rating": 4, "notes": HOLE}),
        Target(f"/v1/applications/{app}/offers", {"salary": HOLE, "currency": "USD"}),
        Target(f"/v1/offers/{offer}/resolution", {"status": HOLE}),
    ]


# Text that is mostly ordinary, with lone surrogates, quotes, escapes and NULs far more often than chance.
_chars = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from(['"', "'", "\\", "\\u", "$", "\n", "\x00", "|", "#"]),
)
texts = st.lists(_chars, max_size=30).map("".join)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
json_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=24
)

# Pipeline text stitched from the grammar's own pieces, so much of it parses and reaches the compiler.
_FRAGMENTS = [
    "applications", "jobs", "candidates", " | ", "where ", "derive ", "group ", "aggregate ", "select ", "sort ",
    "take ", "page size ", " after $c", "x = ", "n = count()", "not ", " and ", " or ", " + ", " * ", " - ",
    "(", ")", ", ", '"', "'", "\\ud800", "\\ud83d\\ude00", "$p", "1", "2.5", "true", "null", "stage.name",
    "applied_at", " >= ", " = ", " in (", " between ", " is null", "any(", "count(", " days", "case when ",
    " then ", " else ", " end", "#", "\n",
]  # fmt: skip
pipeline_texts = st.lists(st.sampled_from(_FRAGMENTS) | texts, max_size=40).map("".join)

# JSON text nested thousands deep (built as text: no JSON encoder here would nest that far).
_DEEP = [("[", "]"), ('{"a":', "}"), ('{"op":"not","args":[', "]}"), ('{"is_null":', "}")]
deep_json = st.builds(
    lambda depth, kind, leaf: _DEEP[kind][0] * depth + leaf + _DEEP[kind][1] * depth,
    st.integers(1, 4000),
    st.integers(0, len(_DEEP) - 1),
    st.sampled_from(['{"value":true}', "1", '"x"', "null", "[]"]),
)

fillers = st.one_of(
    json_values.map(json.dumps),  # ensure_ascii: a lone surrogate travels as its \udXXX escape
    pipeline_texts.map(json.dumps),
    deep_json,
)
raw_bodies = st.binary(max_size=300)
_header_bytes = st.binary(max_size=80).map(lambda b: bytes(c for c in b if c > 0x20 and c != 0x7F) or b"x")


@st.composite
def requests(draw: st.DrawFn, ids: dict[str, int]) -> tuple[str, bytes, dict[str, bytes]]:
    targets = _targets(ids)
    target = targets[draw(st.integers(0, len(targets) - 1))]
    if draw(st.integers(0, 9)) == 0:
        body = draw(raw_bodies)
    elif target.body.keys() == {"body"}:  # the whole body is the hole
        body = draw(fillers).encode("utf-8")
    else:
        body = json.dumps(target.body).replace(json.dumps(HOLE), draw(fillers), 1).encode("utf-8")
    headers = {}
    if draw(st.booleans()):
        headers["Idempotency-Key"] = draw(_header_bytes)
    if draw(st.booleans()):
        headers["X-Request-ID"] = draw(_header_bytes)
    return target.path, body, headers


def test_no_request_body_makes_a_5xx(service: Service) -> None:
    headers = {"Authorization": f"Bearer {service.key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as http:

        @given(request=requests(service.ids))
        @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def below_500(request: tuple[str, bytes, dict[str, bytes]]) -> None:
            path, body, extra = request
            response = http.post(path, content=body, headers=extra)  # type: ignore[arg-type]  # raw header bytes, on purpose
            assert response.status_code < 500, f"POST {path} {body[:200]!r} -> {response.status_code}: {response.text}"

        below_500()
