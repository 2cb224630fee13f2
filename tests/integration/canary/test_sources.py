"""The recorder's slices read back per cohort, bin and tenant: counts and sketches exactly as flushed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad.canary import Policy, analyse
from pavedroad.canary.drivers import SloSlicesSource
from pavedroad.canary.ports import CohortSpec
from pavedroad.slo.recorder import Recorder
from pavedroad.testing import TestDatabase
from tests.integration.slo.slices import aflush_to

T0 = 1_900_000_200.0  # a multiple of 60 and of 300


@pytest.fixture
async def pool(database: TestDatabase) -> AsyncIterator[AsyncConnectionPool]:
    p = AsyncConnectionPool(database.app_url, min_size=1, max_size=2, open=False)
    await p.open(wait=True)
    yield p
    await p.close()


async def _flush(owner_url: str) -> None:
    """Three minutes of 10 s recorder slices: the canary fails only for tenant 'big'."""
    now = [T0]
    recorder = Recorder("api", "v7", slice_seconds=10, time_source=lambda: now[0])
    for second in range(0, 180, 2):
        now[0] = T0 + second
        for tenant in ("big", "small"):
            recorder.record_http("/v1/jobs", "GET", 200, 0.05, variant="off", tenant=tenant)
            status = 500 if tenant == "big" else 200
            recorder.record_http("/v1/jobs", "GET", status, 0.08, variant="on", tenant=tenant)
    await aflush_to(owner_url, recorder.drain())


async def test_slices_are_binned_per_cohort_with_tenants_and_whole_bins_only(
    database: TestDatabase, pool: AsyncConnectionPool
) -> None:
    await _flush(database.owner_url)
    source = SloSlicesSource(pool, bin_seconds=60, tenant_bin_seconds=60, settle_s=0)
    pairs = await source.slices(CohortSpec("off", "on"), T0, T0 + 180)
    assert [p.start for p in pairs] == [T0, T0 + 60, T0 + 120]
    assert all(p.baseline.requests == 60 and p.canary.requests == 60 for p in pairs)
    assert all(p.canary.errors == 30 and p.baseline.errors == 0 for p in pairs)
    assert sum(pairs[0].canary.latency.values()) == 60  # the sketch came through whole
    assert set(pairs[0].tenants) == {"big", "small"}
    assert pairs[0].tenants["big"][1].errors == 30
    assert pairs[0].tenants["small"][1].errors == 0
    # A bin that has not ended (plus the settling margin) is not read yet.
    partial = await SloSlicesSource(pool, bin_seconds=60, tenant_bin_seconds=60, settle_s=15).slices(
        CohortSpec("off", "on"), T0, T0 + 180
    )
    assert [p.start for p in partial] == [T0, T0 + 60]
    # The per-tenant gate names the tenant that is hurt, and only that one.
    results = analyse(pairs, Policy(tenant_min_requests=50, guard_min_requests=50))
    alarms = {r.metric for r in results if r.alarm}
    assert "tenant_burn:big" in alarms
    assert "tenant_burn:small" not in alarms


async def test_deploy_versions_are_a_cohort_dimension(database: TestDatabase, pool: AsyncConnectionPool) -> None:
    await _flush(database.owner_url)
    source = SloSlicesSource(pool, settle_s=0)
    same = await source.slices(CohortSpec("v7", "v8", "version"), T0, T0 + 180)
    assert all(p.canary.requests == 0 for p in same)
    assert sum(p.baseline.requests for p in same) == 360
    other_service = await SloSlicesSource(pool, settle_s=0).slices(
        CohortSpec("off", "on", service="billing"), T0, T0 + 180
    )
    assert other_service == []
