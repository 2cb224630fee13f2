"""The service under load: throughput and p50/p99 per endpoint at a fixed request rate, with and without
the SLO recorder and info-level JSON logging, on the embedded Postgres.

* **Data**: the recruiting generator (``--quick``: 100k applications; full: 1M) over 20 tenants.
* **Load**: open loop at ``--rate`` requests/s (default 100), each request's latency measured from its
  *intended* send time (no coordinated omission); a mix of list reads (``GET /v1/jobs``, ``GET
  /v1/applications/{id}``), list-view queries and report queries (``POST /v1/query``) with admin keys of the
  largest tenants. A bounded number of requests: it stops by itself. The service runs as deployed on the
  2-core target: ``pavedroad serve --workers 2`` (one event loop per core; with one, Python work queued on
  a single loop during bursts and set the tail). The load comes from loadtest (npm, pinned by
  ``loadgen/package-lock.json``, installed on first use), whose ``requestsPerSecond`` timer sends on schedule
  whatever the responses; ``loadgen/driver.mjs`` gives it the planned requests and times each from its
  intended send. Its CPU per request is reported (``loadgen_cpu_ms_per_request``): on 2 cores the generator
  competes with the service it measures (httpx took ~7 ms a request, Artillery 1.1 to 2.2 ms).
* **Baseline in the same run**: two ``pavedroad serve`` processes on the same database, one with the
  recorder and info JSON logs (as deployed), one without either; phases alternate A/B/A/B and medians of
  the per-phase figures are reported. Errors are any non-2xx answer or transport failure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from pavedroad.db import EmbeddedPostgres, free_port, migrate
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.tenants import ensure_demo_keys, list_tenants
from pavedroad.stack import all_migration_sources, create_database

console = Console(stderr=True)
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOADGEN = Path(__file__).resolve().parent / "loadgen"  # driver.mjs and the pinned loadtest
TIMEOUT_MS = 30_000
CONNECTIONS = 64  # keep-alive connections shared by all requests, as a proxy in front would hold
IDLE_MS = 4_000  # an idle connection closes before uvicorn's 5 s keep-alive timeout closes it
LAG_WARN_MS = 10.0  # a phase whose sends ran later than this (p99) measured the generator, not the service

LIST_VIEW = (
    'applications | where status = "active" | select id, job = job.title, applied_at | sort -applied_at, id | take 50'
)
REPORTS = (
    "applications | where applied_at >= today() - 365 days | group source.kind"
    " | aggregate applications = count(), hires = count(hired_at) | sort -applications",
    "applications | group job.department.name | aggregate applications = count(),"
    " median_days_to_hire = median(days_between(applied_at, hired_at)) | sort -applications",
)
CLASSES = ("list_jobs", "get_application", "query_list", "query_report")
MIX = (("list_jobs", 0.40), ("get_application", 0.30), ("query_list", 0.15), ("query_report", 0.15))
BODIES = [json.dumps({"query": q}) for q in (LIST_VIEW, *REPORTS)]


def start_service(
    owner_url: str, data_dir: Path, *, instrumented: bool, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PAVEDROAD_DATABASE_URL": owner_url,
        "PAVEDROAD_DATA_DIR": str(data_dir),
        "PAVEDROAD_SLO_RECORDER": "true" if instrumented else "false",
        "PAVEDROAD_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL") or ("info" if instrumented else "warning"),
        "PAVEDROAD_LOG_FORMAT": "json",
        "PAVEDROAD_POOL_MAX_SIZE": "10",
    }
    log = open(data_dir / f"service-{port}.log", "wb")  # noqa: SIM115 - lives as long as the process
    argv = [str(BIN / "pavedroad"), "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"service exited early; see {log.name}")
        time.sleep(0.2)
    raise SystemExit("service did not become ready in 60 s")


def loadtest_driver() -> list[str]:
    """The command that runs ``loadgen/driver.mjs`` under Node.js, after installing the pinned loadtest
    into ``loadgen/node_modules`` on first use (``npm ci`` from the lock file; from npm's cache when it
    holds the packages)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise SystemExit("the load generator needs Node.js >= 16 and npm: `sudo apt-get install nodejs npm`")
    wanted = json.loads((LOADGEN / "package.json").read_text())["dependencies"]["loadtest"]
    installed = LOADGEN / "node_modules" / "loadtest" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != wanted:
        argv = [npm, "ci", "--prefix", str(LOADGEN), "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"]
        console.print(f"installing loadtest {wanted}: {' '.join(argv[1:])}")
        if subprocess.run(argv, check=False, stdout=subprocess.DEVNULL).returncode != 0:
            raise SystemExit(f"could not install loadtest: `{' '.join(argv)}` failed")
    return [node, str(LOADGEN / "driver.mjs")]


@dataclass
class Phase:
    """What one phase measured: latency in ms by request class, from each request's intended send."""

    lat: dict[str, list[float]]
    errors: int
    throughput: float
    error_statuses: dict[str, int]
    requests: int
    cpu_s: float  # the generator's CPU time for the phase, Node.js start-up included
    lag_p99_ms: float  # how late the generator sent its requests (inside the latencies above)


def plan(
    keys: list[str], ids: dict[str, list[int]], *, rate: float, seconds: float, rng: random.Random
) -> list[list[object]]:
    """``rate * seconds`` requests of the mix, in send order: class, method, path, API key, body index
    (into ``BODIES``; -1 for none)."""
    requests: list[list[object]] = []
    for _ in range(int(rate * seconds)):
        cls, key = _pick(rng.random()), rng.choice(keys)
        if cls == "list_jobs":
            requests.append([cls, "GET", "/v1/jobs?limit=50", key, -1])
        elif cls == "get_application":
            requests.append([cls, "GET", f"/v1/applications/{rng.choice(ids[key])}", key, -1])
        elif cls == "query_list":
            requests.append([cls, "POST", "/v1/query", key, 0])
        else:
            requests.append([cls, "POST", "/v1/query", key, 1 + rng.randrange(len(REPORTS))])
    return requests


def load(
    driver: list[str],
    url: str,
    keys: list[str],
    ids: dict[str, list[int]],
    *,
    rate: float,
    seconds: float,
    rng: random.Random,
) -> Phase:
    """One open-loop phase of ``seconds`` at ``rate`` requests/s, sent by loadtest."""
    requests = plan(keys, ids, rate=rate, seconds=seconds, rng=rng)
    with tempfile.TemporaryDirectory(prefix="pavedroad-loadgen-") as tmp:
        plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
        plan_path.write_text(
            json.dumps(
                {
                    "url": url,
                    "rate": rate,
                    "timeout_ms": TIMEOUT_MS,
                    "connections": CONNECTIONS,
                    "idle_ms": IDLE_MS,
                    "bodies": BODIES,
                    "requests": requests,
                }
            )
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([*driver, str(plan_path), str(result_path)], check=False, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"the load driver failed ({done.returncode}):\n{done.stderr[-3000:]}")
        result = json.loads(result_path.read_text())
    lat: dict[str, list[float]] = {c: [] for c in CLASSES}
    errors = 0
    statuses: dict[str, int] = {}
    for cls, status, ms, why in zip(
        result["classes"], result["status"], result["latency_ms"], result["failure"], strict=True
    ):
        if ms is not None:
            lat[cls].append(ms)
        if not 200 <= status < 300:
            errors += 1
            kind = f"no response:{why or 'unfinished'}" if status == 0 else f"{cls}:{status}"
            statuses[kind] = statuses.get(kind, 0) + 1
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lag = pct([float(v) for v in result["lag_ms"]], 0.99)
    return Phase(lat, errors, len(requests) / result["elapsed_s"], statuses, len(requests), cpu, lag)


def _pick(r: float) -> str:
    """The request class for a uniform draw ``r`` under ``MIX``."""
    acc = 0.0
    for name, share in MIX:
        acc += share
        if r <= acc:
            return name
    return MIX[-1][0]


def _error_kinds(results: dict[str, list[Phase]]) -> dict[str, int]:
    """Errors counted by ``endpoint:status`` over every phase."""
    kinds: dict[str, int] = {}
    for runs in results.values():
        for run in runs:
            for kind, count in run.error_statuses.items():
                kinds[kind] = kinds.get(kind, 0) + count
    return kinds


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100k applications, short phases (< 60 s of load)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--applications", type=int, default=None)
    parser.add_argument(
        "--workers", type=int, default=2, help="service worker processes (one per core of the 2-core target)"
    )
    args = parser.parse_args()
    driver = loadtest_driver()
    applications = args.applications or (100_000 if args.quick else 1_000_000)
    phase_s = 8.0 if args.quick else 30.0
    rounds = 2 if args.quick else 3

    root = Path(tempfile.mkdtemp(prefix="pavedroad-bench-service-"))
    pg = EmbeddedPostgres(root)
    admin = pg.start()
    services: list[subprocess.Popen[bytes]] = []
    try:
        owner = create_database(admin, "pavedroad")
        migrate(owner, all_migration_sources())
        t0 = time.perf_counter()
        seed(owner, applications=applications, tenants=20, seed=11, progress=False)
        console.print(f"seeded {applications:,} applications in {time.perf_counter() - t0:.0f}s")
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute("analyze")
        tenants = list_tenants(owner)
        keys = ensure_demo_keys(owner, root / "keys.json", tenants)
        with psycopg.connect(owner) as conn:
            big = [
                r[0]
                for r in conn.execute(
                    "select tenant_id from applications group by tenant_id order by count(*) desc limit 4"
                ).fetchall()
            ]
            ids = {}
            for t in big:
                rows = conn.execute("select id from applications where tenant_id = %s order by id desc limit 500", (t,))
                ids[keys[t]["admin"]] = [r[0] for r in rows.fetchall()]
        admin_keys = list(ids)
        with_rec, url_a = start_service(owner, root, instrumented=True, workers=args.workers)
        without, url_b = start_service(owner, root, instrumented=False, workers=args.workers)
        services += [with_rec, without]
        rng = random.Random(5)
        warm = load(driver, url_a, admin_keys, ids, rate=args.rate, seconds=2, rng=rng)  # warm both
        load(driver, url_b, admin_keys, ids, rate=args.rate, seconds=2, rng=rng)
        results: dict[str, list[Phase]] = {"with": [], "without": []}
        for r in range(rounds):
            for name, url in (
                (("with", url_a), ("without", url_b)) if r % 2 == 0 else (("without", url_b), ("with", url_a))
            ):
                phase = load(driver, url, admin_keys, ids, rate=args.rate, seconds=phase_s, rng=rng)
                if phase.lag_p99_ms > LAG_WARN_MS:
                    console.print(f"[red]the load generator fell behind: p99 {phase.lag_p99_ms:.0f} ms late to send")
                results[name].append(phase)
    finally:
        for proc in services:
            proc.send_signal(signal.SIGINT)
        for proc in services:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        pg.stop()

    def merged(name: str, cls: str) -> list[float]:
        return [v for run in results[name] for v in run.lat[cls]]

    table = Table(
        title=f"service at {args.rate:.0f} req/s (loadtest, open loop), {applications:,} applications"
        " (ms from intended send)"
    )
    table.add_column("endpoint")
    for col in ("p50 with", "p99 with", "p50 without", "p99 without"):
        table.add_column(col, justify="right")
    for cls in CLASSES:
        a, b = merged("with", cls), merged("without", cls)
        table.add_row(cls, f"{pct(a, 0.5):.1f}", f"{pct(a, 0.99):.1f}", f"{pct(b, 0.5):.1f}", f"{pct(b, 0.99):.1f}")
    console.print(table)
    lists = merged("with", "list_jobs") + merged("with", "get_application")
    lists_b = merged("without", "list_jobs") + merged("without", "get_application")
    errors = sum(run.errors for runs in results.values() for run in runs)
    phases = [run for runs in results.values() for run in runs]
    # the generator's CPU a request: a phase's CPU less the warm-up's (the same start-up, fewer requests)
    phase_cpu, phase_n = (
        statistics.median(run.cpu_s for run in phases),
        statistics.median(run.requests for run in phases),
    )
    loadgen_cpu_ms = 1000 * (phase_cpu - warm.cpu_s) / max(1.0, phase_n - warm.requests)
    lag_p99 = max(run.lag_p99_ms for run in phases)
    console.print(
        f"load generator (loadtest): {loadgen_cpu_ms:.2f} ms of CPU a request, {warm.cpu_s:.2f} s to start;"
        f" sends at most {lag_p99:.1f} ms late (p99 of a phase)"
    )
    kinds = _error_kinds(results)
    if kinds:
        console.print(f"errors by endpoint:status (0 = no response): {kinds}")
    figures = {
        "applications": applications,
        "rate_rps": args.rate,
        "workers": args.workers,
        "throughput_rps": round(statistics.median(run.throughput for run in results["with"]), 1),
        "list_p50_ms": round(pct(lists, 0.5), 2),
        "list_p99_ms": round(pct(lists, 0.99), 2),
        "query_list_p99_ms": round(pct(merged("with", "query_list"), 0.99), 2),
        "query_report_p50_ms": round(pct(merged("with", "query_report"), 0.5), 2),
        "query_report_p99_ms": round(pct(merged("with", "query_report"), 0.99), 2),
        "list_p99_without_recorder_ms": round(pct(lists_b, 0.99), 2),
        "list_p50_recorder_overhead_pct": round(100 * (pct(lists, 0.5) / pct(lists_b, 0.5) - 1), 1),
        "errors": errors,
        "requests": sum(run.requests for run in phases),
        "load_generator": f"loadtest {json.loads((LOADGEN / 'package.json').read_text())['dependencies']['loadtest']}",
        "loadgen_cpu_ms_per_request": round(loadgen_cpu_ms, 3),
        "loadgen_send_lag_p99_ms": round(lag_p99, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
