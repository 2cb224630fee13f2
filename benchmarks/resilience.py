"""Per-call overhead of a full resilience pipeline on the success path, against tenacity + pybreaker and
stamina, sync and async, interleaved in one run.

Two layers are measured:

* **policy overhead** around a trivial in-process callable: ``pipeline.call(fn)`` (deadline, bulkhead,
  retry with budget, breaker, attempt timeout — the default configuration) minus a bare ``fn()``; the
  same for ``tenacity.retry(pybreaker.CircuitBreaker(fn))`` and ``stamina.retry(fn)``;
* **through httpx**: ``ResilientTransport(pipeline, MockTransport).handle_request(request)`` minus the bare
  ``MockTransport.handle_request(request)`` (sync and async), so the figure is our transport, not the
  network and not httpx's client (a full client request costs ~100 µs, whose noise would swamp ours).

Times are CPU time per call (``time.process_time``), so a busy shared machine inflates them less than
wall time; every variant runs in every round, in rotating order, and the medians of the rounds are
reported. Run: ``.venv/bin/python benchmarks/resilience.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
import pybreaker
import stamina
import tenacity
from rich.console import Console
from rich.table import Table

from pavedroad.resilience import DependencySettings, ResilientTransport, build_pipeline

stamina.set_testing(False)  # measure the real retry machinery


def trivial() -> int:
    return 1


async def atrivial() -> int:
    return 1


def _tenacity_pybreaker(fn: Callable[..., object], *, is_async: bool = False) -> Callable[..., object]:
    breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    retrying = tenacity.retry(
        stop=tenacity.stop_after_attempt(3),
        wait=tenacity.wait_random_exponential(multiplier=0.1, max=5),
        retry=tenacity.retry_if_exception_type(ConnectionError),
        reraise=True,
    )
    return retrying(breaker(fn))  # pybreaker cannot see async failures: this is its success-path cost only


def _stamina(fn: Callable[..., object]) -> Callable[..., object]:
    return stamina.retry(on=ConnectionError, attempts=3)(fn)


def sync_variants() -> dict[str, Callable[[], object]]:
    pipeline = build_pipeline("bench-sync", DependencySettings())
    tp = _tenacity_pybreaker(trivial)
    st = _stamina(trivial)
    return {
        "bare": trivial,
        "pipeline": lambda: pipeline.call(trivial),
        "tenacity_pybreaker": tp,
        "stamina": st,
    }


def async_variants() -> dict[str, Callable[[], Awaitable[object]]]:
    pipeline = build_pipeline("bench-async", DependencySettings())
    tp = _tenacity_pybreaker(atrivial, is_async=True)
    st = _stamina(atrivial)
    return {
        "bare": atrivial,
        "pipeline": lambda: pipeline.acall(atrivial),
        "tenacity_pybreaker": tp,  # type: ignore[dict-item]
        "stamina": st,  # type: ignore[dict-item]
    }


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"{}")


_TIMEOUTS = httpx.Timeout(5.0).as_dict()


def _request() -> httpx.Request:
    """What an httpx client hands its transport: a built request with timeout extensions."""
    return httpx.Request("GET", "http://dep.test/v1/items", extensions={"timeout": _TIMEOUTS})


def time_sync(fn: Callable[[], object], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e6


async def time_async(fn: Callable[[], Awaitable[object]], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        await fn()
    return (time.process_time() - start) / n * 1e6


def rounds(samples: dict[str, list[float]], measure: Callable[[str], float], names: list[str], count: int) -> None:
    for index in range(count):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:  # rotate the order so no variant always runs first
            samples.setdefault(name, []).append(measure(name))


def overheads(samples: dict[str, list[float]]) -> dict[str, float]:
    bare = samples["bare"]
    return {
        name: statistics.median(v - b for v, b in zip(values, bare, strict=True))
        for name, values in samples.items()
        if name != "bare"
    }


async def run_async(calls: int, rounds_n: int, requests: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    variants = async_variants()
    for fn in variants.values():  # warm up
        await time_async(fn, 200)
    samples: dict[str, list[float]] = {}
    names = list(variants)
    for index in range(rounds_n):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples.setdefault(name, []).append(await time_async(variants[name], calls))
    mock = httpx.MockTransport(_handler)
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "bare": mock,
        "pipeline": ResilientTransport(build_pipeline("bench-http-async", DependencySettings()), mock),
    }
    http: dict[str, list[float]] = {}
    for transport in transports.values():
        await time_async(lambda t=transport: t.handle_async_request(_request()), 200)
    for index in range(rounds_n):
        for name in ["bare", "pipeline"] if index % 2 == 0 else ["pipeline", "bare"]:
            send = transports[name].handle_async_request
            http.setdefault(name, []).append(await time_async(lambda send=send: send(_request()), requests))
    return samples, http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under a minute)")
    args = parser.parse_args()
    calls, rounds_n, requests = (5_000, 9, 2_000) if args.quick else (20_000, 25, 5_000)

    variants = sync_variants()
    for fn in variants.values():
        time_sync(fn, 500)
    sync_samples: dict[str, list[float]] = {}
    rounds(sync_samples, lambda name: time_sync(variants[name], calls), list(variants), rounds_n)

    mock = httpx.MockTransport(_handler)
    transports: dict[str, httpx.BaseTransport] = {
        "bare": mock,
        "pipeline": ResilientTransport(build_pipeline("bench-http", DependencySettings()), mock),
    }
    for transport in transports.values():
        time_sync(lambda t=transport: t.handle_request(_request()), 200)
    http_sync: dict[str, list[float]] = {}
    rounds(
        http_sync,
        lambda name: time_sync(lambda: transports[name].handle_request(_request()), requests),
        ["bare", "pipeline"],
        rounds_n,
    )

    async_samples, http_async = asyncio.run(run_async(calls, rounds_n, requests))

    sync_over, async_over = overheads(sync_samples), overheads(async_samples)
    http_sync_over, http_async_over = overheads(http_sync)["pipeline"], overheads(http_async)["pipeline"]

    table = Table(title="success-path overhead per call (CPU µs, median of interleaved rounds)")
    for column in ("variant", "sync µs", "async µs", "sync vs pipeline"):
        table.add_column(column, justify="right" if column != "variant" else "left")
    table.add_row(
        "bare call (absolute)",
        f"{statistics.median(sync_samples['bare']):.3f}",
        f"{statistics.median(async_samples['bare']):.3f}",
        "",
    )
    for name, label in (
        ("pipeline", "pavedroad full pipeline"),
        ("tenacity_pybreaker", "tenacity + pybreaker"),
        ("stamina", "stamina"),
    ):
        table.add_row(
            label,
            f"{sync_over[name]:.2f}",
            f"{async_over[name]:.2f}",
            f"{sync_over[name] / sync_over['pipeline']:.1f}x",
        )
    table.add_row("pavedroad transport around MockTransport", f"{http_sync_over:.2f}", f"{http_async_over:.2f}", "")
    table.add_row(
        "MockTransport.handle_request (absolute)",
        f"{statistics.median(http_sync['bare']):.1f}",
        f"{statistics.median(http_async['bare']):.1f}",
        "",
    )
    Console().print(table)

    figures = {
        "pipeline_overhead_sync_us": round(sync_over["pipeline"], 3),
        "pipeline_overhead_async_us": round(async_over["pipeline"], 3),
        "tenacity_pybreaker_overhead_sync_us": round(sync_over["tenacity_pybreaker"], 3),
        "tenacity_pybreaker_overhead_async_us": round(async_over["tenacity_pybreaker"], 3),
        "stamina_overhead_sync_us": round(sync_over["stamina"], 3),
        "stamina_overhead_async_us": round(async_over["stamina"], 3),
        "pipeline_vs_tenacity_pybreaker_sync_ratio": round(sync_over["pipeline"] / sync_over["tenacity_pybreaker"], 3),
        "pipeline_vs_stamina_sync_ratio": round(sync_over["pipeline"] / sync_over["stamina"], 3),
        "transport_overhead_sync_us": round(http_sync_over, 3),
        "transport_overhead_async_us": round(http_async_over, 3),
        "mock_transport_request_sync_us": round(statistics.median(http_sync["bare"]), 3),
        "rounds": rounds_n,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
