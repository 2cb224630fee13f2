"""SLO recorder: per-request middleware overhead, per-sample recording cost, quantile accuracy.

Baselines, measured in the same run and interleaved round by round:

* **middleware overhead** — the same FastAPI app with and without ``SLOMiddleware``, driven in-process
  through the raw ASGI interface (no network, no HTTP client) so the recorder's microseconds are not
  drowned; also in front of a bare ASGI app, which isolates the middleware itself.
* **recording cost per sample** — ``LogSketch.add`` (what the recorder does per request) against
  ``ddsketch.DDSketch.add`` (1 % accuracy), ``hdrh.HdrHistogram.record_value`` (2 significant digits,
  µs) and a ``prometheus_client`` ``Histogram`` child's ``observe`` (label child cached, as a careful
  user would); plus the full ``Recorder.record_http`` (slice cell + sketch + classic histogram).
* **quantile error** — relative error at p50/p99/p99.9 on lognormal, exponential and Pareto latencies,
  ours and ddsketch's.

Figures are medians over rounds; ratios are pavedroad / baseline. ``--quick`` runs fewer rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from ddsketch import DDSketch
from fastapi import FastAPI
from hdrh.histogram import HdrHistogram
from prometheus_client import CollectorRegistry, Histogram
from rich.console import Console
from rich.table import Table

from pavedroad.slo import LogSketch, Recorder, SLOMiddleware


def _fastapi_app(with_recorder: bool) -> Any:
    app = FastAPI()

    @app.get("/v1/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    if with_recorder:
        app.add_middleware(SLOMiddleware, recorder=Recorder("bench", "v1"))
    return app


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _scope(path: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": [],
            "server": ("bench", 80), "client": ("127.0.0.1", 1234)}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


async def _interleaved(apps: dict[str, Any], n: int, times: dict[str, list[float]]) -> None:
    """``n`` requests per app, alternating app by app and timing each request on its own."""
    names = list(apps)
    perf = time.perf_counter
    for i in range(n):
        scope_path = f"/v1/items/{i % 100}"
        for name in names if i % 2 == 0 else reversed(names):
            scope = _scope(scope_path)
            start = perf()
            await apps[name](scope, _receive, _send)
            times[name].append(perf() - start)


def middleware_overhead(rounds: int, per_round: int) -> dict[str, float]:
    """Median per-request time of each app; the overhead is the difference of medians of paired apps.

    Requests alternate between the apps one by one and each is timed alone, so a noisy neighbour or a
    GC pause lands on one request of one app, and the median ignores it.
    """
    apps = {"fastapi_without": _fastapi_app(False), "fastapi_with": _fastapi_app(True),
            "bare_without": _bare, "bare_with": SLOMiddleware(_bare, Recorder("bench", "v1"))}
    times: dict[str, list[float]] = {k: [] for k in apps}
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_interleaved(apps, 300, {k: [] for k in apps}))  # warm-up
        for _ in range(rounds):
            loop.run_until_complete(_interleaved(apps, per_round, times))
    finally:
        loop.close()
    med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
    return {**{f"{k}_us": v for k, v in med.items()},
            "overhead_us": med["fastapi_with"] - med["fastapi_without"],
            "bare_overhead_us": med["bare_with"] - med["bare_without"]}


def _recorders(values: list[float]) -> dict[str, Callable[[], None]]:
    ours = LogSketch()
    dd = DDSketch(relative_accuracy=0.01)
    hdr = HdrHistogram(1, 3_600_000_000, 2)
    prom = Histogram("bench_seconds", "bench", ["route"], registry=CollectorRegistry()).labels(route="/x")
    recorder = Recorder("bench", "v1")
    micros = [max(1, int(v * 1e6)) for v in values]

    def run_ours() -> None:
        add = ours.add
        for v in values:
            add(v)

    def run_dd() -> None:
        add = dd.add
        for v in values:
            add(v)

    def run_hdr() -> None:
        record = hdr.record_value
        for v in micros:
            record(v)

    def run_prom() -> None:
        observe = prom.observe
        for v in values:
            observe(v)

    def run_recorder() -> None:
        record = recorder.record_http
        for v in values:
            record("/v1/items/{item_id}", "GET", 200, v, "default", "acme")

    def run_loop() -> None:  # the bare loop, subtracted from every figure
        for _v in values:
            pass

    return {"pavedroad": run_ours, "ddsketch": run_dd, "hdrhistogram": run_hdr, "prometheus_client": run_prom,
            "pavedroad_recorder": run_recorder, "loop": run_loop}


def recording_cost(rounds: int, n: int) -> dict[str, float]:
    values = [float(v) for v in np.random.default_rng(1).lognormal(-3.5, 1.0, n)]
    runs = _recorders(values)
    times: dict[str, list[float]] = {k: [] for k in runs}
    for r in range(rounds):
        order = list(runs.items()) if r % 2 == 0 else list(reversed(runs.items()))
        for name, fn in order:
            start = time.perf_counter_ns()
            fn()
            times[name].append((time.perf_counter_ns() - start) / n)
    loop = statistics.median(times.pop("loop"))
    return {k: statistics.median(v) - loop for k, v in times.items()}


def quantile_errors(n: int) -> dict[str, float]:
    rng = np.random.default_rng(3)
    dists = {"lognormal": rng.lognormal(-3.0, 1.0, n), "exponential": rng.exponential(0.05, n),
             "pareto": (rng.pareto(1.5, n) + 1) * 0.002}
    worst = {"pavedroad": 0.0, "ddsketch": 0.0}
    for values in dists.values():
        ours, dd = LogSketch(), DDSketch(relative_accuracy=0.01)
        for v in values:
            ours.add(float(v))
            dd.add(float(v))
        ordered = np.sort(values)
        for q in (0.5, 0.99, 0.999):
            exact = float(ordered[int(q * (n - 1))])
            worst["pavedroad"] = max(worst["pavedroad"], abs((ours.quantile(q) or 0) - exact) / exact)
            worst["ddsketch"] = max(worst["ddsketch"], abs((dd.get_quantile_value(q) or 0) - exact) / exact)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under a minute)")
    args = parser.parse_args()
    console = Console()
    rounds, per_round = (15, 400) if args.quick else (60, 1000)
    mw = middleware_overhead(rounds, per_round)
    cost = recording_cost(9 if args.quick else 25, 50_000 if args.quick else 200_000)
    err = quantile_errors(50_000 if args.quick else 200_000)

    table = Table(title="SLO recorder")
    table.add_column("measure")
    table.add_column("pavedroad", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("FastAPI request, µs (with / without recorder)", f"{mw['fastapi_with_us']:.1f}",
                  f"{mw['fastapi_without_us']:.1f}", f"{mw['fastapi_with_us'] / mw['fastapi_without_us']:.3f}")
    table.add_row("middleware overhead per request, µs (FastAPI app)", f"{mw['overhead_us']:.2f}", "target ≤ 15", "")
    table.add_row("middleware overhead per request, µs (bare ASGI app)", f"{mw['bare_overhead_us']:.2f}", "", "")
    for name in ("ddsketch", "hdrhistogram", "prometheus_client"):
        table.add_row(f"record one sample, ns (vs {name})", f"{cost['pavedroad']:.0f}", f"{cost[name]:.0f}",
                      f"{cost['pavedroad'] / cost[name]:.2f}")
    table.add_row("Recorder.record_http per sample, ns (slice + sketch + histogram)",
                  f"{cost['pavedroad_recorder']:.0f}", "", "")
    table.add_row("max relative quantile error p50/p99/p99.9 (vs ddsketch)", f"{err['pavedroad']:.4%}",
                  f"{err['ddsketch']:.4%}", "")
    console.print(table)
    result = {
        "middleware_overhead_us": round(mw["overhead_us"], 2),
        "middleware_overhead_bare_asgi_us": round(mw["bare_overhead_us"], 2),
        "fastapi_request_with_recorder_us": round(mw["fastapi_with_us"], 2),
        "fastapi_request_without_recorder_us": round(mw["fastapi_without_us"], 2),
        "record_ns": round(cost["pavedroad"], 1),
        "recorder_record_http_ns": round(cost["pavedroad_recorder"], 1),
        "ddsketch_record_ns": round(cost["ddsketch"], 1),
        "hdr_record_ns": round(cost["hdrhistogram"], 1),
        "prom_hist_record_ns": round(cost["prometheus_client"], 1),
        "record_vs_fastest_baseline_ratio": round(
            cost["pavedroad"] / min(cost["ddsketch"], cost["hdrhistogram"], cost["prometheus_client"]), 3),
        "quantile_rel_error_max": round(err["pavedroad"], 6),
        "ddsketch_quantile_rel_error_max": round(err["ddsketch"], 6),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
