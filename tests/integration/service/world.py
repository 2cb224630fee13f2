"""The small world the route tests write into: a hiring pipeline per tenant and a caller speaking as a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from fastapi.testclient import TestClient

STAGES = [(1, "Review", "application_review"), (2, "Onsite", "onsite"), (3, "Offer", "offer"), (4, "Hired", "hired")]


@dataclass(frozen=True)
class Pipeline:
    """Ids of one tenant's job, its stages (by name), its source and its interviewer user."""

    job_id: int
    stages: dict[str, int]
    source_id: int
    interviewer_id: int
    recruiter_id: int


def make_pipeline(conn: psycopg.Connection[Any], tenant: str, job_id: int) -> Pipeline:
    stages = {
        name: conn.execute(
            "insert into job_stages (tenant_id, job_id, position, name, stage_type) values (%s, %s, %s, %s, %s)"
            " returning id",
            (tenant, job_id, pos, name, kind),
        ).fetchone()[0]  # type: ignore[index]
        for pos, name, kind in STAGES
    }
    conn.execute(
        "insert into sources (tenant_id, id, name, kind) values (%s, %s, 'Referral', 'referral')", (tenant, job_id)
    )
    users = dict(conn.execute("select role, id from users where tenant_id = %s", (tenant,)).fetchall())
    return Pipeline(job_id, stages, job_id, users["interviewer"], users["recruiter"])


class Caller:
    """The test client, speaking with one tenant's key for one role (or with no key at all)."""

    def __init__(self, client: TestClient, keys: dict[str, dict[str, str]], tenant: str, role: str | None) -> None:
        self.client = client
        self.key = keys[tenant][role] if role else None

    def headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.headers(None))

    def post(self, path: str, body: Any = None, *, key: str | None = None) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers(key))


def new_application(pipeline: Pipeline, email: str = "ada@example.com") -> dict[str, Any]:
    return {
        "job_id": pipeline.job_id,
        "source_id": pipeline.source_id,
        "candidate": {"first_name": "Ada", "last_name": "Byron", "email": email},
    }


def outbox_types(owner_url: str, tenant: str) -> list[str]:
    """The tenant's domain events in append order (reads are audited as data_accessed; those are left out)."""
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "select event_type from event_outbox where tenant_id = %s and event_type <> 'data_accessed'"
            " order by event_id",
            (tenant,),
        ).fetchall()
    return [r[0] for r in rows]
