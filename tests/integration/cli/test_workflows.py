"""``pavedroad workflows list|show|retry|cancel``: a tenant's runs through the same api as the routes."""

from __future__ import annotations

import asyncio
import json

import pytest
from psycopg_pool import AsyncConnectionPool
from typer.testing import CliRunner

from pavedroad import workflows
from pavedroad.cli.workflows import app
from pavedroad.tenancy import Principal, Role
from pavedroad.testing import TestDatabase

pytestmark = pytest.mark.integration


async def _failed_and_sleeping(database: TestDatabase) -> None:
    registry = workflows.Registry()

    @registry.workflow("fragile")
    async def fragile(ctx: workflows.WorkflowContext, data: dict[str, bool]) -> None:
        await ctx.step("noop", asyncio.sleep, 0)
        if data["fail"]:
            raise ValueError("the HRIS said no")
        await ctx.sleep(3600)

    acme = Principal("acme", None, Role.ADMIN)
    async with AsyncConnectionPool(database.app_url, min_size=1, max_size=4) as pool:
        await workflows.start(pool, acme, registry, "fragile", "hire:1", input_value={"fail": True})
        await workflows.start(pool, acme, registry, "fragile", "hire:2", input_value={"fail": False})
        await workflows.start(pool, Principal("globex", None, Role.ADMIN), registry, "fragile", "other", input_value={})
        async with workflows.Worker(registry, pool, database.owner_url) as worker:
            for claim in await worker.claim():
                if claim.tenant_id == "acme":
                    await worker.execute(claim)


def test_list_show_retry_cancel(cli: CliRunner, database: TestDatabase) -> None:
    asyncio.run(_failed_and_sleeping(database))
    listed = cli.invoke(app, ["list", "--tenant", "acme", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {r["workflow_id"]: r["status"] for r in json.loads(listed.stdout)} == {
        "hire:1": "failed",
        "hire:2": "sleeping",
    }
    shown = cli.invoke(app, ["show", "--tenant", "acme", "hire:1"])
    assert "fragile@1" in shown.stdout
    assert "ValueError: the HRIS said no" in shown.stdout
    assert cli.invoke(app, ["retry", "--tenant", "acme", "hire:1"]).stdout.strip() == "hire:1: queued"
    assert cli.invoke(app, ["cancel", "--tenant", "acme", "hire:2"]).stdout.strip() == "hire:2: cancelled"
    refused = cli.invoke(app, ["retry", "--tenant", "acme", "hire:1"])
    assert refused.exit_code != 0
    assert "WF409" in refused.output
    hidden = cli.invoke(app, ["show", "--tenant", "acme", "other"])
    assert hidden.exit_code != 0
    assert "WF404" in hidden.output
    assert (
        json.loads(cli.invoke(app, ["list", "--tenant", "acme", "--status", "queued", "--json"]).stdout)[0][
            "workflow_id"
        ]
        == "hire:1"
    )
