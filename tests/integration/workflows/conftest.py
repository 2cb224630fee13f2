"""Fixtures for the workflow engine: a pool of ``pavedroad_app`` connections, a fake clock, principals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad.tenancy import Principal, Role
from pavedroad.testing import FakeClock, TestDatabase

ACME = Principal("acme", None, Role.ADMIN)
GLOBEX = Principal("globex", None, Role.ADMIN)


@pytest.fixture
async def app_pool(database: TestDatabase) -> AsyncIterator[AsyncConnectionPool]:
    pool = AsyncConnectionPool(database.app_url, min_size=1, max_size=12, open=False)
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
