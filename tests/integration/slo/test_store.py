"""Slices from several worker processes merge in Postgres into exactly what one process would record;
the top-k answer over them is right; SQL window counts agree with the in-memory reference."""

from __future__ import annotations

import multiprocessing
import random

import psycopg
import pytest

from pavedroad.slo import (
    MemorySliceSource,
    PostgresSliceSource,
    Recorder,
    decode_top,
    parse_specs,
    rank,
    top_query,
)
from pavedroad.testing import TestDatabase
from tests.integration.slo.slices import flush_to

NOW = 1_800_000_000.0
# route -> (median latency s, error every n requests); p99s are far apart so the ranking is unambiguous
ROUTES = {
    "/v1/jobs": (0.020, 0),
    "/v1/applications/{application_id}": (0.045, 50),
    "/v1/candidates": (0.090, 0),
    "/v1/reports/{report_id}": (0.250, 10),
    "/v1/search": (0.008, 0),
}
WORKERS = 4
PER_WORKER = 3000


def _samples(worker: int) -> list[tuple[str, str, float, int]]:
    """Deterministic traffic of one worker: (route, tenant, latency, status)."""
    rng = random.Random(worker)
    out = []
    for i in range(PER_WORKER):
        route = list(ROUTES)[i % len(ROUTES)]
        median, every = ROUTES[route]
        latency = median * rng.lognormvariate(0, 0.6)
        status = 500 if every and rng.randrange(every) == 0 else 200
        out.append((route, ("acme", "globex")[i % 2], latency, status))
    return out


def _worker(worker: int, url: str) -> None:
    clock = iter(NOW - 300 + (i * 300 / PER_WORKER) for i in range(PER_WORKER))
    recorder = Recorder("recruiting", "v1", slice_seconds=10, time_source=lambda: next(clock))
    for route, tenant, latency, status in _samples(worker):
        recorder.record_http(route, "GET", status, latency, tenant=tenant)
    flush_to(url, recorder.drain())


def _exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def test_topk_over_several_worker_processes(database: TestDatabase) -> None:
    """Four processes record and flush into one database; the merged p99 ranking and counts are right."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_worker, args=(w, database.app_url)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    everything = [s for w in range(WORKERS) for s in _samples(w)]
    with psycopg.connect(database.app_url) as conn:
        rows = decode_top(conn.execute(*top_query(NOW - 3600, NOW + 1, service="recruiting")).fetchall())
        duplicates = conn.execute(
            "select count(*) - count(distinct (slice_start, route, method, status_class, tenant_id))"
            " from pavedroad_meta.slo_slices"
        ).fetchone()
    assert duplicates == (0,)  # same keys from four processes merged into single rows
    top = rank(rows, "p99", limit=10)
    latencies = {r: [s[2] for s in everything if s[0] == r] for r in ROUTES}
    exact = sorted(ROUTES, key=lambda r: -_exact_quantile(latencies[r], 0.99))
    assert [e.route for e in top] == exact
    for entry in top:
        want = _exact_quantile(latencies[entry.route], 0.99)
        assert entry.p99_s is not None
        assert abs(entry.p99_s - want) / want <= 0.01
        assert entry.total == len(latencies[entry.route])
        errors = sum(1 for s in everything if s[0] == entry.route and s[3] >= 500)
        assert entry.error_rate == pytest.approx(errors / entry.total)
    by_errors = rank(rows, "error_rate", limit=2)
    assert [e.route for e in by_errors] == ["/v1/reports/{report_id}", "/v1/applications/{application_id}"]
    # per tenant: each tenant got half of every route's traffic
    with psycopg.connect(database.app_url) as conn:
        acme = decode_top(conn.execute(*top_query(NOW - 3600, NOW + 1, tenant="acme")).fetchall())
    assert sum(r.total for r in acme) == len(everything) // 2
    assert {r.tenant for r in acme} == {"acme"}


def test_sql_window_counts_agree_with_the_memory_source(database: TestDatabase) -> None:
    """Availability and latency (sketch-threshold) counts per window and tenant: SQL == Python."""
    doc = {
        "version": "prometheus/v1",
        "service": "recruiting",
        "slos": [
            {
                "name": "avail",
                "objective": 99.9,
                "sli": {"plugin": {"id": "pavedroad/availability", "options": {"per_tenant": "true"}}},
            },
            {
                "name": "lat",
                "objective": 99,
                "sli": {
                    "plugin": {
                        "id": "pavedroad/latency",
                        "options": {
                            "route": "/v1/reports/{report_id}",
                            "method": "GET",
                            "threshold": "300ms",
                            "per_tenant": "true",
                        },
                    }
                },
            },
        ],
    }
    slos = parse_specs([doc])
    clock = iter(NOW - 7200 + i * 2.0 for i in range(10**6))
    recorder = Recorder("recruiting", "v1", slice_seconds=10, time_source=lambda: next(clock))
    for route, tenant, latency, status in _samples(9):
        recorder.record_http(route, "GET", status, latency, tenant=tenant)
    rows = recorder.drain()
    flush_to(database.app_url, rows)
    memory = MemorySliceSource(rows)
    sql = PostgresSliceSource(lambda: psycopg.connect(database.app_url))
    windows = [300.0, 1800.0, 3600.0, 7200.0]
    now = NOW - 7200 + 2.0 * PER_WORKER
    for slo in slos:
        got, want = sql.window_counts(slo, now, windows), memory.window_counts(slo, now, windows)
        assert got == want, slo.slo_id
        assert got[""][7200.0].total > 0
        assert set(got) == {"", "acme", "globex"}


def test_cached_source_tracks_new_and_merged_slices(database: TestDatabase) -> None:
    """The evaluator's cached source agrees with a full SQL read after more flushes land."""
    from pavedroad.slo import CachedSliceSource

    doc = {
        "version": "prometheus/v1",
        "service": "recruiting",
        "slos": [
            {
                "name": "avail",
                "objective": 99.9,
                "sli": {"plugin": {"id": "pavedroad/availability", "options": {"per_tenant": "true"}}},
            },
            {
                "name": "lat",
                "objective": 99,
                "sli": {"plugin": {"id": "pavedroad/latency", "options": {"threshold": "100ms"}}},
            },
        ],
    }
    slos = parse_specs([doc])
    t = [NOW - 7200.0]
    recorder = Recorder("recruiting", "v1", slice_seconds=10, time_source=lambda: t[0])
    rng = random.Random(2)

    def traffic(seconds: float) -> None:
        end = t[0] + seconds
        while t[0] < end:
            tenant = rng.choice(["acme", "globex"])
            recorder.record_http(
                "/v1/jobs", "GET", rng.choice([200, 200, 200, 503]), rng.uniform(0.01, 0.3), tenant=tenant
            )
            t[0] += 1.5
        flush_to(database.app_url, recorder.drain())

    windows = [300.0, 3600.0, 7200.0]
    sql = PostgresSliceSource(lambda: psycopg.connect(database.app_url))
    cached = CachedSliceSource(lambda: psycopg.connect(database.app_url), refresh_s=600)
    traffic(7000)
    for slo in slos:
        assert cached.window_counts(slo, t[0], windows) == sql.window_counts(slo, t[0], windows)
    t[0] -= 20  # a second flush merges into slices already read, then time moves on
    traffic(400)
    for slo in slos:
        got, want = cached.window_counts(slo, t[0], windows), sql.window_counts(slo, t[0], windows)
        assert got == want, slo.slo_id
        assert got[""][300.0].total > 0
