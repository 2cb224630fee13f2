"""Demo traffic: a steady mix of list reads, detail reads, reports and writes against the service, so
the SLO, endpoint and canary views have live data. Every request goes through the resilience pipeline.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import structlog

from pavedroad import resilience

__all__ = ["REPORTS", "generate_traffic"]

_log = structlog.get_logger("pavedroad.traffic")

REPORTS = (
    "applications | group source.kind | aggregate applications = count(), hires = count(hired_at) | sort -applications",
    "applications | where applied_at >= today() - 90 days | group job.department.name"
    " | aggregate applications = count() | sort -applications | take 10",
    'applications | where status = "active" | derive waiting = days_between(last_activity_at, now())'
    " | select id, job = job.title, waiting | sort -waiting, id | take 50",
    'jobs | where status = "open" | select id, title | sort id | take 20',
)


async def generate_traffic(
    base_url: str, keys: dict[str, dict[str, str]], *, stop: asyncio.Event, rate_per_s: float = 15.0, seed: int = 7
) -> None:
    """Send about ``rate_per_s`` requests per second until ``stop`` is set (errors are logged, not raised)."""
    rng = random.Random(seed)
    callers = [(tenant, role, key) for tenant, roles in keys.items() for role, key in roles.items()]
    async with resilience.async_client("demo-traffic", base_url=base_url, timeout=10.0) as http:
        app_ids = await _application_ids(http, keys)
        while not stop.is_set():
            tenant, role, key = rng.choice(callers)
            headers = {"Authorization": f"Bearer {key}"}
            try:
                await _one_request(http, rng, headers, app_ids.get(tenant, []), role)
            except Exception as exc:  # noqa: BLE001 - demo traffic never stops the demo
                _log.debug("demo request failed", error=type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=rng.expovariate(rate_per_s))
            except TimeoutError:
                continue


async def _one_request(http: Any, rng: random.Random, headers: dict[str, str], ids: list[int], role: str) -> None:
    pick = rng.random()
    if pick < 0.35:
        await http.get("/v1/jobs", params={"limit": 25}, headers=headers)
    elif pick < 0.7 and ids:
        await http.get(f"/v1/applications/{rng.choice(ids)}", headers=headers)
    elif pick < 0.95:
        await http.post("/v1/query", json={"query": rng.choice(REPORTS)}, headers=headers)
    elif role in {"admin", "recruiter"}:
        await _apply(http, rng, headers)


async def _apply(http: Any, rng: random.Random, headers: dict[str, str]) -> None:
    jobs = (await http.get("/v1/jobs", params={"status": "open", "limit": 20}, headers=headers)).json()
    open_jobs = [j["id"] for j in jobs.get("items", [])]
    if not open_jobs:
        return
    n = rng.randrange(10**9)
    candidate = {"first_name": "Demo", "last_name": f"Candidate{n}", "email": f"demo{n}@example.com"}
    await http.post("/v1/applications", json={"job_id": rng.choice(open_jobs), "candidate": candidate}, headers=headers)


async def _application_ids(http: Any, keys: dict[str, dict[str, str]]) -> dict[str, list[int]]:
    """A few hundred application ids per tenant, for detail reads."""
    ids: dict[str, list[int]] = {}
    for tenant, roles in keys.items():
        key = roles.get("admin") or next(iter(roles.values()))
        response = await http.post(
            "/v1/query",
            json={"query": "applications | select id | sort -id | take 300"},
            headers={"Authorization": f"Bearer {key}"},
        )
        rows = response.json().get("rows", []) if response.status_code == 200 else []
        ids[tenant] = [int(r[0]) for r in rows]
    return ids
