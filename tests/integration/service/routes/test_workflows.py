"""``/v1/workflows``: tenant admins list, show, retry, cancel and signal their runs; nobody else does."""

from __future__ import annotations

import asyncio
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pavedroad import workflows
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase


async def _runs(database: TestDatabase) -> None:
    registry = workflows.Registry()

    @registry.workflow("offer")
    async def offer(ctx: workflows.WorkflowContext, data: dict[str, Any]) -> Any:
        if data.get("fail"):
            raise RuntimeError("boom")
        return await ctx.wait_signal("signed")

    async with AsyncConnectionPool(database.app_url, min_size=1, max_size=4) as pool:
        for tenant, wid, data in (("alpha", "o:1", {}), ("alpha", "o:2", {"fail": True}), ("beta", "b:1", {})):
            await workflows.start(pool, Principal(tenant, None, Role.ADMIN), registry, "offer", wid, input_value=data)
        async with workflows.Worker(registry, pool, database.owner_url) as worker:
            await worker.run_once()
            assert await worker.run_once() == 0
            await workflows.signal(pool, Principal("alpha", None, Role.ADMIN), "o:1", "signed", payload={"by": "x"})
            await worker.run_once()


def test_admins_steer_their_runs(database: TestDatabase, as_role: Any) -> None:
    asyncio.run(_runs(database))
    admin = as_role("alpha", "admin")
    listed = admin.get("/v1/workflows")
    assert listed.status_code == 200, listed.text
    assert {r["workflow_id"]: r["status"] for r in listed.json()["runs"]} == {"o:1": "succeeded", "o:2": "failed"}
    shown = admin.get("/v1/workflows/o:1").json()
    assert (shown["output"], [s["name"] for s in shown["steps"]]) == ({"by": "x"}, ["deadline", "signal:signed"])
    assert admin.post("/v1/workflows/o:2/retry").json() == {"workflow_id": "o:2", "status": "queued"}
    assert admin.post("/v1/workflows/o:2/cancel").json() == {"workflow_id": "o:2", "status": "cancelled"}
    assert admin.post("/v1/workflows/o:1/retry").status_code == 409
    assert admin.post("/v1/workflows/o:1/signals/late", {"x": 1}).status_code == 409
    assert admin.get("/v1/workflows", status="nope").status_code == 400


def test_other_tenants_and_roles_see_nothing(database: TestDatabase, as_role: Any) -> None:
    asyncio.run(_runs(database))
    admin = as_role("alpha", "admin")
    assert admin.get("/v1/workflows/b:1").status_code == 404
    assert admin.post("/v1/workflows/b:1/cancel").status_code == 404
    assert admin.post("/v1/workflows/b:1/signals/signed", {}).status_code == 404
    assert admin.get("/v1/workflows/%20").status_code == 400
    recruiter = as_role("alpha", "recruiter")
    assert recruiter.get("/v1/workflows").status_code == 403
    assert as_role("alpha", None).get("/v1/workflows").status_code == 401


RULE = {
    "id": "prep",
    "entity": "applications",
    "trigger": {"kind": "event", "event": "application_moved"},
    "condition": 'status = "active"',
    "actions": [{"kind": "webhook", "dependency": "hooks", "url": "https://hooks.example/prep"}],
}


def test_admins_save_list_and_preview_rules(as_role: Any) -> None:
    admin = as_role("alpha", "admin")
    saved = admin.post("/v1/automations", RULE)
    assert saved.status_code == 201, saved.text
    assert saved.json()["version"] == 1
    assert admin.post("/v1/automations", RULE).json()["version"] == 2
    assert [r["version"] for r in admin.get("/v1/automations").json()["rules"]] == [2]
    assert admin.post("/v1/automations/preview", RULE).json() == {"count": 0, "sample": []}
    bad = admin.post("/v1/automations", {**RULE, "condition": "stauts = 1"})
    assert bad.status_code == 400
    assert "stauts" in bad.text
    assert admin.post("/v1/automations", {**RULE, "trigger": {"kind": "cron"}}).status_code == 422
    internal = [{"kind": "webhook", "dependency": "hooks", "url": "https://169.254.169.254/latest"}]
    refused = admin.post("/v1/automations", {**RULE, "actions": internal})
    assert (refused.status_code, refused.json()["code"]) == (400, "WF422")
    assert as_role("alpha", "recruiter").get("/v1/automations").status_code == 403
    assert as_role("beta", "admin").get("/v1/automations").json() == {"rules": []}
