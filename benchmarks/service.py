"""The service under load: throughput and p50/p99 per endpoint at a fixed request rate, with and without
the SLO recorder and info-level JSON logging, on the embedded Postgres.

* **Data**: the recruiting generator (``--quick``: 100k applications; full: 1M) over 20 tenants.
* **Load**: open loop at ``--rate`` requests/s (default 100), each request's latency measured from its
  *scheduled* send time (no coordinated omission); a mix of list reads (``GET /v1/jobs``, ``GET
  /v1/applications/{id}``), list-view queries and report queries (``POST /v1/query``) with admin keys of the
  largest tenants. A bounded number of requests: it stops by itself. The service runs as deployed on the
  2-core target: ``pavedroad serve --workers 2`` (one event loop per core; with one, Python work queued on
  a single loop during bursts and set the tail). The load comes from a lean HTTP/1.1
  keep-alive client (``LoopbackClient``, ~0.2 ms of CPU a request): httpx spent ~7 ms of CPU a request,
  so on 2 cores the load generator took more CPU than the service it measured.
* **Baseline in the same run**: two ``pavedroad serve`` processes on the same database, one with the
  recorder and info JSON logs (as deployed), one without either; phases alternate A/B/A/B and medians of
  the per-phase figures are reported. Errors are any non-2xx answer or transport failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
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


class LoopbackClient:
    """HTTP/1.1 over keep-alive loopback connections (at most ``size``), nothing more: a request is one
    write of prepared bytes and a read of the status line, headers and a Content-Length body."""

    def __init__(self, url: str, size: int = 64, timeout_s: float = 30.0) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = "127.0.0.1", parsed.port or 80
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0
        self.size = size
        self.timeout_s = timeout_s
        self.released = asyncio.Condition()
        self.failures: dict[str, int] = {}  # why requests got no response, by exception name

    def _failed(self, exc: BaseException) -> int:
        name = type(exc).__name__
        self.failures[name] = self.failures.get(name, 0) + 1
        return 0

    async def _conn(self, fresh: bool) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection and whether it was reused (it may have been closed by the server while idle);
        ``fresh`` opens a new one (after a stale one, the others idle as long may be stale too)."""
        async with self.released:
            while not self.free and self.open >= self.size:
                await self.released.wait()
            if self.free and not fresh:
                return self.free.pop(), True
            if self.free:  # keep the pool's size: the new connection takes an idle one's place
                self.free.pop(0)[1].close()
                self.open -= 1
            self.open += 1
        try:
            return await asyncio.open_connection(self.host, self.port), False
        except OSError:
            await self._release(None)
            raise

    async def _release(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        async with self.released:
            if conn is None:
                self.open -= 1
            else:
                self.free.append(conn)
            self.released.notify()

    async def request(self, method: str, path: str, key: str, body: bytes = b"") -> int:
        """The response's status (0 when the connection failed or timed out). A keep-alive connection the
        server closed while idle is replaced and the request sent again, as HTTP clients do."""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        for attempt in range(2):
            try:
                conn, reused = await self._conn(fresh=attempt > 0)
            except OSError as exc:
                return self._failed(exc)
            reader, writer = conn
            try:
                writer.write(head + body)
                status, _ = await asyncio.wait_for(self._response(reader), self.timeout_s)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                writer.close()
                await self._release(None)
                stale = isinstance(exc, ConnectionError) or not exc.partial
                if reused and stale and attempt == 0:
                    continue  # closed by the server before it read the request: send it again
                return self._failed(exc)
            except (TimeoutError, OSError, ValueError) as exc:
                writer.close()
                await self._release(None)
                return self._failed(exc)
            await self._release(conn)
            return status
        return 0

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                chunks.append(await reader.readexactly(size + 2))
                if size == 0:
                    return status, b"".join(chunks)
        return status, await reader.readexactly(int(headers.get("content-length", "0")))

    async def aclose(self) -> None:
        for _, writer in self.free:
            writer.close()


async def load(
    url: str, keys: list[str], ids: dict[str, list[int]], *, rate: float, seconds: float, rng: random.Random
) -> dict[str, object]:
    """Open-loop load for ``seconds``; latency from each request's scheduled time."""
    lat: dict[str, list[float]] = {c: [] for c in CLASSES}
    errors = 0
    statuses: dict[str, int] = {}
    n = int(rate * seconds)
    plan = []
    for i in range(n):
        plan.append((i / rate, _pick(rng.random()), rng.choice(keys)))
    bodies = {q: json.dumps({"query": q}).encode() for q in (LIST_VIEW, *REPORTS)}
    http = LoopbackClient(url)
    start = time.perf_counter()

    async def one(at: float, cls: str, key: str) -> None:
        nonlocal errors
        delay = start + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if cls == "list_jobs":
            status = await http.request("GET", "/v1/jobs?limit=50", key)
        elif cls == "get_application":
            status = await http.request("GET", f"/v1/applications/{rng.choice(ids[key])}", key)
        elif cls == "query_list":
            status = await http.request("POST", "/v1/query", key, bodies[LIST_VIEW])
        else:
            status = await http.request("POST", "/v1/query", key, bodies[rng.choice(REPORTS)])
        lat[cls].append((time.perf_counter() - (start + at)) * 1000)
        if not 200 <= status < 300:
            errors += 1
            statuses[f"{cls}:{status}"] = statuses.get(f"{cls}:{status}", 0) + 1

    await asyncio.gather(*(one(at, cls, key) for at, cls, key in plan))
    elapsed = time.perf_counter() - start
    await http.aclose()
    statuses.update({f"no response:{k}": v for k, v in http.failures.items()})
    return {"lat": lat, "errors": errors, "throughput": n / elapsed, "error_statuses": statuses}


def _pick(r: float) -> str:
    """The request class for a uniform draw ``r`` under ``MIX``."""
    acc = 0.0
    for name, share in MIX:
        acc += share
        if r <= acc:
            return name
    return MIX[-1][0]


def _error_kinds(results: dict[str, list[dict[str, object]]]) -> dict[str, int]:
    """Errors counted by ``endpoint:status`` over every phase."""
    kinds: dict[str, int] = {}
    for runs in results.values():
        for run in runs:
            for kind, count in run["error_statuses"].items():  # type: ignore[attr-defined]
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
        asyncio.run(load(url_a, admin_keys, ids, rate=args.rate, seconds=2, rng=rng))  # warm both
        asyncio.run(load(url_b, admin_keys, ids, rate=args.rate, seconds=2, rng=rng))
        results: dict[str, list[dict[str, object]]] = {"with": [], "without": []}
        for r in range(rounds):
            for name, url in (
                (("with", url_a), ("without", url_b)) if r % 2 == 0 else (("without", url_b), ("with", url_a))
            ):
                results[name].append(asyncio.run(load(url, admin_keys, ids, rate=args.rate, seconds=phase_s, rng=rng)))
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
        return [v for run in results[name] for v in run["lat"][cls]]  # type: ignore[index]

    table = Table(title=f"service at {args.rate:.0f} req/s, {applications:,} applications (ms from scheduled send)")
    table.add_column("endpoint")
    for col in ("p50 with", "p99 with", "p50 without", "p99 without"):
        table.add_column(col, justify="right")
    for cls in CLASSES:
        a, b = merged("with", cls), merged("without", cls)
        table.add_row(cls, f"{pct(a, 0.5):.1f}", f"{pct(a, 0.99):.1f}", f"{pct(b, 0.5):.1f}", f"{pct(b, 0.99):.1f}")
    console.print(table)
    lists = merged("with", "list_jobs") + merged("with", "get_application")
    lists_b = merged("without", "list_jobs") + merged("without", "get_application")
    errors = sum(int(run["errors"]) for runs in results.values() for run in runs)  # type: ignore[call-overload]
    kinds = _error_kinds(results)
    if kinds:
        console.print(f"errors by endpoint:status (0 = no response): {kinds}")
    figures = {
        "applications": applications,
        "rate_rps": args.rate,
        "workers": args.workers,
        "throughput_rps": round(statistics.median(float(run["throughput"]) for run in results["with"]), 1),  # type: ignore[arg-type]
        "list_p50_ms": round(pct(lists, 0.5), 2),
        "list_p99_ms": round(pct(lists, 0.99), 2),
        "query_list_p99_ms": round(pct(merged("with", "query_list"), 0.99), 2),
        "query_report_p50_ms": round(pct(merged("with", "query_report"), 0.5), 2),
        "query_report_p99_ms": round(pct(merged("with", "query_report"), 0.99), 2),
        "list_p99_without_recorder_ms": round(pct(lists_b, 0.99), 2),
        "list_p50_recorder_overhead_pct": round(100 * (pct(lists, 0.5) / pct(lists_b, 0.5) - 1), 1),
        "errors": errors,
        "requests": sum(len(v) for runs in results.values() for run in runs for v in run["lat"].values()),  # type: ignore[union-attr]
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
