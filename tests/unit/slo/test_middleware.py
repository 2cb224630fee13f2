"""The recorder middleware: route templates, status classes, cohorts and tenants, driven through ASGI."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, generate_latest

from pavedroad.slo import Recorder, RecorderCollector, SLOMiddleware, record_dependency, set_cohort, use_recorder
from pavedroad.testing import FakeClock


@dataclass(frozen=True)
class _Principal:
    tenant_id: str


def _app(recorder: Recorder) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int, request: Request) -> dict[str, int]:
        request.state.principal = _Principal("acme")
        return {"id": item_id}

    @app.get("/variant")
    def variant() -> dict[str, bool]:  # sync: runs in a thread pool, on a copy of the context
        return {"set": set_cohort("new-checkout")}

    @app.get("/state-variant")
    async def state_variant(request: Request) -> dict[str, str]:
        request.state.slo_variant = "from-state"
        return {}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    app.add_middleware(SLOMiddleware, recorder=recorder)
    return app


async def _get(app: FastAPI, *paths: str) -> list[int]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return [(await client.get(p)).status_code for p in paths]


def _keys(recorder: Recorder) -> dict[tuple[str, ...], int]:
    return {(r.route, r.method, r.status_class, r.variant, r.tenant): r.total for r in recorder.drain()}


def test_routes_are_templates_and_tenants_come_from_the_principal() -> None:
    recorder = Recorder("svc", "v7")
    statuses = asyncio.run(_get(_app(recorder), "/items/1", "/items/2", "/items/x", "/nowhere/42"))
    assert statuses == [200, 200, 422, 404]
    keys = _keys(recorder)
    assert keys[("/items/{item_id}", "GET", "2xx", "default", "acme")] == 2
    assert keys[("/items/{item_id}", "GET", "4xx", "default", "")] == 1  # validation failed before the handler
    assert keys[("<unmatched>", "GET", "4xx", "default", "")] == 1
    assert not any("/items/1" in k[0] or "nowhere" in k[0] for k in keys)


def test_a_mounted_app_is_recorded_under_its_mount_not_as_unmatched(tmp_path: Path) -> None:
    """Static files (a mounted app) are their own route, ``<mount>/{path}``, so they neither swell the
    "unmatched" count nor carry the file name; a miss inside the mount is still the mount's."""
    (tmp_path / "site.css").write_text("body {}")
    recorder = Recorder("svc", "v7")
    app = _app(recorder)
    app.mount("/static", StaticFiles(directory=str(tmp_path)), name="static")
    assert asyncio.run(_get(app, "/static/site.css", "/static/gone.js", "/nowhere")) == [200, 404, 404]
    keys = _keys(recorder)
    assert keys[("/static/{path}", "GET", "2xx", "default", "")] == 1
    assert keys[("/static/{path}", "GET", "4xx", "default", "")] == 1
    assert keys[("<unmatched>", "GET", "4xx", "default", "")] == 1


def test_cohort_set_in_a_sync_endpoint_or_in_request_state_reaches_the_recorder() -> None:
    recorder = Recorder("svc", "v7")
    asyncio.run(_get(_app(recorder), "/variant", "/state-variant"))
    keys = _keys(recorder)
    assert ("/variant", "GET", "2xx", "new-checkout", "") in keys
    assert ("/state-variant", "GET", "2xx", "from-state", "") in keys
    assert set_cohort("outside") is False  # no request: nothing to label


def test_an_exception_counts_as_a_bad_500() -> None:
    recorder = Recorder("svc", "v7")
    assert asyncio.run(_get(_app(recorder), "/boom")) == [500]
    rows = recorder.drain()
    assert [(r.route, r.status_class, r.bad) for r in rows] == [("/boom", "5xx", 1)]


def test_prometheus_histograms_have_no_tenant_and_count_every_request() -> None:
    recorder = Recorder("svc", "v7", buckets=(0.1, 1.0))
    asyncio.run(_get(_app(recorder), "/items/1", "/items/2", "/items/3"))
    registry = CollectorRegistry()
    registry.register(RecorderCollector(recorder))
    text = generate_latest(registry).decode()
    assert (
        'http_request_duration_seconds_count{method="GET",route="/items/{item_id}",service="svc",'
        'status_class="2xx",variant="default",version="v7"} 3.0'
    ) in text
    assert 'le="+Inf"' in text
    assert "acme" not in text
    # counts are cumulative: draining slices for the flusher does not reset Prometheus
    recorder.drain()
    assert "} 3.0" in generate_latest(registry).decode()


def test_dependency_calls_are_recorded_on_the_default_recorder() -> None:
    recorder = Recorder("svc", "v7")
    use_recorder(recorder)
    try:
        assert record_dependency("payments", "success", 0.2)
        assert record_dependency("payments", "timeout", 2.0)
    finally:
        use_recorder(None)
    assert not record_dependency("payments", "success", 0.1)
    rows = sorted(recorder.drain(), key=lambda r: r.status_class)
    assert [(r.kind, r.route, r.status_class, r.bad) for r in rows] == [
        ("dependency", "payments", "success", 0),
        ("dependency", "payments", "timeout", 1),
    ]


def test_latency_comes_from_the_injected_timer() -> None:
    """A test can pin each request's latency, so what it compares does not depend on machine load."""
    timer = FakeClock(start=0.0)
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        timer.advance(0.25)
        return {}

    recorder = Recorder("svc", "v")
    app.add_middleware(SLOMiddleware, recorder=recorder, timer=timer.monotonic)
    assert asyncio.run(_get(app, "/slow", "/slow")) == [200, 200]
    (row,) = recorder.drain()
    assert (row.total, row.sketch.sum) == (2, 0.5)


def test_slices_roll_with_the_clock() -> None:
    now = [100.0]
    recorder = Recorder("svc", "v", slice_seconds=10, time_source=lambda: now[0])
    recorder.record_http("/a", "GET", 200, 0.1)
    now[0] = 111.0
    recorder.record_http("/a", "GET", 200, 0.1)
    recorder.record_http("/a", "GET", 503, 0.1)
    rows = sorted(recorder.drain(), key=lambda r: (r.slice_start, r.status_class))
    assert [(r.slice_start, r.status_class, r.total) for r in rows] == [
        (100.0, "2xx", 1),
        (110.0, "2xx", 1),
        (110.0, "5xx", 1),
    ]
    assert recorder.drain() == []
    with pytest.raises(ValueError, match="slice_seconds"):
        Recorder(slice_seconds=0)


def test_resilience_pipeline_calls_land_in_the_recorder_with_the_requests_tenant() -> None:
    """instrument() registers record_dependency as a resilience listener; inside a request the call
    inherits the request's tenant and cohort."""
    from pavedroad.resilience import remove_listener
    from pavedroad.resilience.observe import listeners, notify
    from pavedroad.slo import instrument, record_dependency

    recorder = Recorder("svc", "v7")
    app = FastAPI()

    @app.get("/pay")
    async def pay(request: Request) -> dict[str, bool]:
        request.state.principal = _Principal("acme")
        set_cohort("blue")
        notify("payments", "timeout", 1.5)  # what a pipeline does after each call
        return {"ok": True}

    instrument(app, recorder, CollectorRegistry())
    try:
        assert record_dependency in listeners()
        asyncio.run(_get(app, "/pay"))
    finally:
        remove_listener(record_dependency)
        use_recorder(None)
    rows = {(r.kind, r.route, r.status_class, r.variant, r.tenant, r.bad) for r in recorder.drain()}
    assert ("dependency", "payments", "timeout", "blue", "acme", 1) in rows
    assert ("http", "/pay", "2xx", "blue", "acme", 0) in rows
