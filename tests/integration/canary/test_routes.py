"""/v1/canary on the real service: verdicts for deploy canaries (Argo web metric, Flagger webhook) from
the SLO recorder's slices, decisions for the dashboard, admins only, no other tenant's numbers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool

from pavedroad.canary import Action, Decision, MetricResult
from pavedroad.canary.store import PostgresDecisionSink
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.slo.recorder import Recorder
from pavedroad.tenancy.operators import issue_operator
from pavedroad.testing import TestDatabase
from tests.integration.slo.slices import flush_to


@pytest.fixture
def keys(database: TestDatabase, tmp_path: Path) -> dict[str, dict[str, str]]:
    with psycopg.connect(database.owner_url) as conn:
        for tenant in ("alpha", "beta"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
    return ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha", "beta"])


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _record(owner_url: str, version: str, *, error_rate: float, minutes: int = 20, per_minute: int = 400) -> None:
    """What a fleet running ``version`` would have flushed: one recorder per version, past whole slices."""
    rng = np.random.default_rng(sum(version.encode()))
    start = time.time() - (minutes + 2) * 60
    clock = [start]
    recorder = Recorder("pavedroad", version, slice_seconds=60, time_source=lambda: clock[0])
    for minute in range(minutes):
        clock[0] = start + minute * 60 + 1
        for latency in rng.lognormal(np.log(0.05), 0.4, size=per_minute):
            status = 500 if rng.random() < error_rate else 200
            recorder.record_http("/v1/jobs", "GET", status, float(latency), tenant="alpha")
    flush_to(owner_url, recorder.drain())


def test_verdict_fails_a_worse_canary_and_passes_an_equal_one(
    database: TestDatabase, keys: dict[str, dict[str, str]]
) -> None:
    _record(database.owner_url, "v1", error_rate=0.002)
    _record(database.owner_url, "v2-bad", error_rate=0.05)
    _record(database.owner_url, "v2-good", error_rate=0.002)
    admin = _auth(keys["alpha"]["admin"])
    with TestClient(create_app(load_settings(), database.app_url)) as client:
        bad = client.post(
            "/v1/canary/verdict", headers=admin, json={"baseline": "v1", "canary": "v2-bad", "window": "1h"}
        )
        assert bad.status_code == 200, bad.text
        body = bad.json()
        assert body["verdict"] == "fail"
        assert body["score"] == 0
        err = next(r for r in body["results"] if r["metric"] == "error_rate")
        assert err["alarm"] is True
        assert err["ratio"] > 5
        good = client.post(
            "/v1/canary/verdict", headers=admin, json={"baseline": "v1", "canary": "v2-good", "window": "1h"}
        )
        assert good.json()["verdict"] == "pass", good.json()["reason"]
        none = client.post("/v1/canary/verdict", headers=admin, json={"baseline": "v1", "canary": "v9", "window": "1h"})
        assert none.json()["verdict"] == "inconclusive"  # no canary traffic: never a pass

        # Flagger: 200 while the canary is fine, a non-2xx (409) once it is judged worse.
        meta = {"baseline": "v1", "window": "1h", "api_key": keys["alpha"]["admin"]}
        ok = client.post("/v1/canary/webhooks/flagger", json={"name": "api", "metadata": {**meta, "canary": "v2-good"}})
        assert ok.status_code == 200
        worse = client.post(
            "/v1/canary/webhooks/flagger", json={"name": "api", "metadata": {**meta, "canary": "v2-bad"}}
        )
        assert worse.status_code == 409
        assert worse.json()["code"] == "C409"
        nokey = client.post("/v1/canary/webhooks/flagger", json={"metadata": {"baseline": "v1", "canary": "v2-bad"}})
        assert nokey.status_code == 401


def test_verdict_rejects_bad_input_with_4xx(database: TestDatabase, keys: dict[str, dict[str, str]]) -> None:
    admin = _auth(keys["alpha"]["admin"])
    with TestClient(create_app(load_settings(), database.app_url)) as client:
        r = client.post(
            "/v1/canary/verdict", headers=admin, json={"baseline": "v1", "canary": "v2", "window": "forever"}
        )
        assert r.status_code == 400
        assert r.json()["code"] == "C400"
        r = client.post(
            "/v1/canary/verdict", headers=admin, json={"baseline": "v1", "canary": "v2", "policy": {"alpah": 1}}
        )
        assert r.status_code == 400
        assert "alpah" in r.json()["message"]
        r = client.post("/v1/canary/verdict", headers=admin, json={"baseline": "v1"})
        assert r.status_code == 422


def test_decisions_are_for_admins_and_hide_other_tenants(
    database: TestDatabase, keys: dict[str, dict[str, str]]
) -> None:
    def result(metric: str, alarm: bool) -> MetricResult:
        return MetricResult(
            metric, "msprt-one-sample-rate", alarm, 0, 900, None, 30.0, None, None, None, 9.0, 7.6, 0.001
        )

    decision = Decision(
        "new-search",
        Action.ROLLBACK,
        "[guard] tenant_burn:beta: canary burn rate 30.0x",
        time.time(),
        2,
        1,
        (result("error_rate", False), result("tenant_burn:alpha", False), result("tenant_burn:beta", True)),
    )

    async def store() -> None:
        pool = AsyncConnectionPool(database.app_url, min_size=1, max_size=1, open=False)
        await pool.open(wait=True)
        try:
            await PostgresDecisionSink(pool).emit(decision)
        finally:
            await pool.close()

    asyncio.run(store())
    with TestClient(create_app(load_settings(), database.app_url)) as client:
        listing = client.get("/v1/canary", headers=_auth(keys["alpha"]["admin"]))
        assert listing.status_code == 200
        (row,) = listing.json()["rollouts"]
        assert row["action"] == "rollback"
        metrics = [r["metric"] for r in row["results"]]
        assert "tenant_burn:alpha" in metrics
        assert "tenant_burn:beta" not in metrics
        explain = client.get("/v1/canary/new-search/decisions", headers=_auth(keys["alpha"]["admin"]))
        assert explain.status_code == 200
        assert explain.json()["decisions"][0]["step_to"] == 1
        assert client.get("/v1/canary/nope/decisions", headers=_auth(keys["alpha"]["admin"])).status_code == 404
        recruiter = next(k for role, k in keys["alpha"].items() if role != "admin")
        assert client.get("/v1/canary", headers=_auth(recruiter)).status_code == 403
        assert client.get("/v1/canary").status_code == 401
        paused = client.post("/v1/canary/new-search/pause", headers=_auth(keys["alpha"]["admin"]))
        assert paused.status_code == 403  # pausing a rollout acts for every tenant: operators only
        assert "platform-wide" in paused.json()["message"]
        with psycopg.connect(database.owner_url) as conn:
            operator = issue_operator(conn, "olga", by="test")
        paused = client.post("/v1/canary/new-search/pause", headers=_auth(operator))
        assert paused.status_code == 404  # no controller in this process: said plainly, not a 500


def test_outbox_sink_publishes_each_decision_as_an_event(database: TestDatabase) -> None:
    """Decisions reach the event stream through the operator tenant's transactional outbox."""
    from pavedroad.canary.drivers import OutboxSink

    with psycopg.connect(database.owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values ('platform', 'Platform')")
    decision = Decision("new-search", Action.PROMOTE, "[promote] healthy", time.time(), 0, 1)

    async def emit() -> None:
        pool = AsyncConnectionPool(database.app_url, min_size=1, max_size=1, open=False)
        await pool.open(wait=True)
        try:
            await OutboxSink(pool, "platform").emit(decision)
        finally:
            await pool.close()

    asyncio.run(emit())
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute("select tenant_id, payload from event_outbox").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == "platform"
    assert rows[0][1]["action"] == "promote"
    assert rows[0][1]["step_to"] == 1
