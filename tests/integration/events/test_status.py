"""Status: the CLI-side figures measured from the servers, and the admin-only HTTP route."""

from __future__ import annotations

from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import Consumer, Event, EventsConfig, Relay, aappend, gather_status
from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings
from pavedroad.tenancy import Principal, Role, atransaction
from pavedroad.testing import TestDatabase
from tests.integration.events.conftest import World


async def test_status_reports_backlog_consumer_lag_and_heartbeats(
    database: TestDatabase, world: World, app_pool: AsyncConnectionPool, nats_url: str, events_config: EventsConfig
) -> None:
    """Backlog before the relay runs, none after; a consumer that read nothing lags by every event."""
    principal = Principal(world.tenant, None, Role.ADMIN)
    async with atransaction(app_pool, principal) as tx:
        for n in range(7):
            await aappend(tx, Event(type="x", tenant_id=world.tenant, aggregate_type="t", aggregate_id=str(n)))
    before = await gather_status(database.owner_url, nats_url, events_config)
    assert before.outbox_backlog == 7
    relay = Relay(database.owner_url, nats_url, events_config)
    await relay.connect()
    lazy = Consumer("lazy", lambda tx, e: None, app_pool, nats_url, events_config)  # type: ignore[arg-type, return-value]
    await lazy.connect()  # created, never stepped
    try:
        assert await relay.step() == 7
        await relay.report()
    finally:
        await relay.close()
        await lazy.close()
    after = await gather_status(database.owner_url, nats_url, events_config)
    assert (after.outbox_backlog, after.stream_messages, after.dlq_messages) == (0, 7, 0)
    assert [(c.name, c.pending) for c in after.consumers] == [("lazy", 7)]
    assert [c["component"] for c in after.components] == [relay.name]


def test_status_route_is_for_admins_and_counts_only_the_tenant(database: TestDatabase, tmp_path: Path) -> None:
    """GET /v1/events/status: 403 for a recruiter; for an admin, the tenant's own backlog only."""
    with psycopg.connect(database.owner_url) as conn:
        for tenant in ("alpha", "beta"):
            conn.execute("insert into tenants (tenant_id, name) values (%s, %s)", (tenant, tenant))
            for n in range(3 if tenant == "alpha" else 5):
                conn.execute(
                    "insert into event_outbox (tenant_id, event_id, seq, event_type, schema_version, aggregate_type,"
                    " aggregate_id, occurred_at, payload) values (%s, gen_random_uuid(),"
                    " nextval('pavedroad_meta.event_outbox_seq'), 'x', 1, 't', %s, now(), '{}')",
                    (tenant, str(n)),
                )
    keys = ensure_demo_keys(database.owner_url, tmp_path / "keys.json", ["alpha", "beta"])
    with TestClient(create_app(load_settings(), database.app_url), raise_server_exceptions=False) as client:
        denied = client.get("/v1/events/status", headers={"Authorization": f"Bearer {keys['alpha']['recruiter']}"})
        assert denied.status_code == 403
        assert denied.json()["code"] == "E403"
        ok = client.get("/v1/events/status", headers={"Authorization": f"Bearer {keys['alpha']['admin']}"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["tenant_outbox_backlog"] == 3
