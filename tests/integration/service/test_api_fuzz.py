"""Schemathesis against the live service's OpenAPI spec: no generated input may cause a 500.

The service runs in its own interpreter (``LiveServiceProcess``). Hypothesis refuses any strategy during
which the global ``random`` changes; a server thread in this process changes it whenever its connection
pool opens a connection (expiry jitter), so beside an in-process server this test failed at random.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from pavedroad.recruiting.tenants import ensure_demo_keys
from pavedroad.testing import TestServers
from pavedroad.testing.live import LiveServiceProcess
from tests.integration.service.conftest import _seed_minimal


@pytest.fixture(scope="module")
def live_api(servers: TestServers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db = servers.new_database("fuzz")
    _seed_minimal(db.owner_url)
    keys = ensure_demo_keys(db.owner_url, Path(tmp_path_factory.mktemp("keys")) / "keys.json", ["alpha", "beta"])
    with LiveServiceProcess(db.app_url) as service:
        yield service.url, keys["alpha"]["admin"]
    servers.drop_database(db)


def test_the_server_leaves_this_process_random_state_alone(live_api: tuple[str, str]) -> None:
    """Concurrent requests make the server's pool open connections; none of that may move this
    process's global ``random``, which hypothesis checks around every draw below."""
    url, key = live_api
    before = random.getstate()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:

        def call(_: int) -> int:
            return http.post("/v1/query", json={"query": "jobs | select title"}).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(call, range(32))) == {200}
    assert random.getstate() == before


def test_no_server_errors(live_api: tuple[str, str]) -> None:
    """Every operation, fed schema-valid and edge-case inputs with a valid key, answers below 500."""
    url, key = live_api
    api = schemathesis.openapi.from_url(f"{url}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]  # type: ignore[union-attr]  # an Err fails loudly
    assert operations, "the spec lists no operations"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_500(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {key}"}, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
            )

        no_500()
