"""Write routes: domain commands with their events in one transaction, and safe retries by key."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from pavedroad.testing import TestDatabase


def _auth(key: str, idem: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return headers


NEW: dict[str, Any] = {
    "job_id": 1,
    "source_id": 1,
    "candidate": {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"},
}


def _outbox_types(owner_url: str) -> list[str]:
    with psycopg.connect(owner_url) as conn:
        return [r[0] for r in conn.execute("select event_type from event_outbox order by event_id").fetchall()]


def test_create_then_move_emits_events(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int], database: TestDatabase
) -> None:
    created = client.post("/v1/applications", json=NEW, headers=_auth(keys["alpha"]["recruiter"]))
    assert created.status_code == 201, created.text
    app_id = created.json()["application_id"]
    moved = client.post(
        f"/v1/applications/{app_id}/moves",
        json={"to_stage_id": pipeline["onsite"]},
        headers=_auth(keys["alpha"]["recruiter"]),
    )
    assert moved.status_code == 201, moved.text
    got = client.get(f"/v1/applications/{app_id}", headers=_auth(keys["alpha"]["admin"])).json()
    assert got["current_stage"] == "Onsite"
    domain = [t for t in _outbox_types(database.owner_url) if t != "data_accessed"]  # reads are audited too
    assert domain == ["candidate_created", "application_created", "stage_moved"]


def test_same_key_replays_instead_of_writing_twice(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int], database: TestDatabase
) -> None:
    first = client.post("/v1/applications", json=NEW, headers=_auth(keys["alpha"]["recruiter"], "k-1"))
    again = client.post("/v1/applications", json=NEW, headers=_auth(keys["alpha"]["recruiter"], "k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    with psycopg.connect(database.owner_url) as conn:
        assert conn.execute("select count(*) from applications where tenant_id = 'alpha'").fetchone() == (1,)


def test_same_key_with_another_body_is_409(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int]
) -> None:
    client.post("/v1/applications", json=NEW, headers=_auth(keys["alpha"]["recruiter"], "k-2"))
    other: dict[str, Any] = {**NEW, "candidate": {**NEW["candidate"], "email": "other@example.com"}}  # type: ignore[dict-item]
    response = client.post("/v1/applications", json=other, headers=_auth(keys["alpha"]["recruiter"], "k-2"))
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["message"]


def test_failed_write_does_not_burn_the_key(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int]
) -> None:
    """A write that fails rolls back its key claim with everything else, so the key is free for the retry."""
    bad = {**NEW, "job_id": 999}
    assert (
        client.post("/v1/applications", json=bad, headers=_auth(keys["alpha"]["recruiter"], "k-3")).status_code == 404
    )
    assert (
        client.post("/v1/applications", json=NEW, headers=_auth(keys["alpha"]["recruiter"], "k-3")).status_code == 201
    )


def test_interviewer_may_not_create_applications(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int]
) -> None:
    response = client.post("/v1/applications", json=NEW, headers=_auth(keys["alpha"]["interviewer"]))
    assert response.status_code == 403
    assert response.json()["hint"]


def test_tenant_cannot_write_into_another_tenants_job(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int]
) -> None:
    """beta's key cannot apply to alpha's job 1: it is simply not found in beta."""
    response = client.post("/v1/applications", json=NEW, headers=_auth(keys["beta"]["recruiter"]))
    assert response.status_code in {404, 409}


def test_malformed_body_is_422_with_paths(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    response = client.post(
        "/v1/applications", json={"job_id": "x", "candidate": {"email": "nope"}}, headers=_auth(keys["alpha"]["admin"])
    )
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert "body.job_id" in paths


def test_values_postgres_cannot_store_are_400(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int]
) -> None:
    """A NUL byte in text is refused with a 400 that says why, not a 500."""
    bad = {**NEW, "candidate": {**NEW["candidate"], "first_name": "Ada\u0000"}}  # type: ignore[dict-item]
    response = client.post("/v1/applications", json=bad, headers=_auth(keys["alpha"]["recruiter"]))
    assert response.status_code == 400
    assert "cannot be stored" in response.json()["message"]


def test_a_custom_value_that_does_not_fit_its_field_is_refused(
    client: TestClient, keys: dict[str, dict[str, str]], pipeline: dict[str, int], database: TestDatabase
) -> None:
    """Stored, it would make every query reading the field fail on a cast that quotes the value."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "insert into custom_field_definitions (tenant_id, entity, key, label, field_type, classification)"
            " values ('alpha', 'candidates', 'expected_salary', 'Expected salary', 'number', 'compensation'),"
            " ('alpha', 'applications', 'start', 'Earliest start', 'date', 'internal')"
        )
    recruiter = _auth(keys["alpha"]["recruiter"])
    bad_candidate = {**NEW, "candidate": {**NEW["candidate"], "custom": {"expected_salary": "ask ada@example.com"}}}
    refused = client.post("/v1/applications", json=bad_candidate, headers=recruiter)
    assert refused.status_code == 400, refused.text
    assert "custom.expected_salary" in refused.text
    assert "ada@example.com" not in refused.text
    bad_application = {**NEW, "custom": {"start": "next spring"}}
    assert client.post("/v1/applications", json=bad_application, headers=recruiter).status_code == 400
    candidate = {**NEW["candidate"], "custom": {"expected_salary": 1}}
    fits = {**NEW, "custom": {"start": "2030-01-31"}, "candidate": candidate}
    assert client.post("/v1/applications", json=fits, headers=recruiter).status_code == 201
    total = client.post(
        "/v1/query",
        json={"query": "candidates | aggregate s = sum(custom.expected_salary)"},
        headers=_auth(keys["alpha"]["admin"]),
    )
    assert total.status_code == 200, total.text
