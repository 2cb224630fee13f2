"""Platform commands: ``demo``, ``serve``, ``worker``, ``migrate``, ``seed``, ``operator issue|revoke|list``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.errors import InvalidInput, ServerStartError

if TYPE_CHECKING:
    import psycopg
    import uvicorn

    from pavedroad.settings import Settings
    from pavedroad.stack import Stack

__all__ = ["register"]

Keys = dict[str, dict[str, str]]

DEMO_APPLICATIONS = 20_000
DEMO_TENANTS = 3


def register(app: typer.Typer) -> None:
    """Add the platform commands to the root app."""
    app.command()(demo)
    app.command()(serve)
    app.command()(migrate)
    app.command()(seed)
    app.command()(worker)
    app.add_typer(operator_app, name="operator")


operator_app = typer.Typer(
    help="Platform operator keys (global kills, ramps, reverts); run with the owner database URL.",
    no_args_is_help=True,
)
_OperatorName = Annotated[str, typer.Argument(help="Operator name, e.g. alice or sre.bob.")]
_By = Annotated[str, typer.Option("--by", help="Who issues or revokes (default: your login).")]


@contextlib.contextmanager
def _owner_connection() -> Iterator[psycopg.Connection[Any]]:
    """An owner connection to the migrated database (starting the embedded server if needed)."""
    import psycopg

    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        with psycopg.connect(stack.owner_url) as conn:
            yield conn
    finally:
        stack.stop()


def _login(by: str) -> str:
    import getpass

    return by or getpass.getuser()


@operator_app.command("issue")
@friendly_errors
def operator_issue(name: _OperatorName, by: _By = "") -> None:
    """Issue a platform operator key; it is printed once and only its hash is stored."""
    from pavedroad.tenancy.operators import issue_operator

    with _owner_connection() as conn:
        key = issue_operator(conn, name, by=_login(by))
    console.print(f"operator key for {name} (shown once; send as 'Authorization: Bearer <key>'):")
    print(key)


@operator_app.command("revoke")
@friendly_errors
def operator_revoke(name: _OperatorName, by: _By = "") -> None:
    """Revoke an operator's key; every service process refuses it as soon as this commits."""
    from pavedroad.tenancy.operators import revoke_operator

    with _owner_connection() as conn:
        revoke_operator(conn, name, by=_login(by))
    console.print(f"revoked the key of operator {name}")


@operator_app.command("list")
@friendly_errors
def operator_list() -> None:
    """Every operator key issued: name, when, by whom, revoked (never the key)."""
    from rich.table import Table

    from pavedroad.tenancy.operators import list_operators

    with _owner_connection() as conn:
        rows = list_operators(conn)
    table = Table(title=f"{len(rows)} operator key(s)")
    for col in ("name", "created_at", "created_by", "revoked_at", "revoked_by"):
        table.add_column(col)
    for r in rows:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in ("name", "created_at", "created_by",
                                                                       "revoked_at", "revoked_by")))  # fmt: skip
    console.print(table)


@friendly_errors
def demo(
    port: Annotated[
        int | None, typer.Option(help="HTTP port (default: PAVEDROAD_HTTP_PORT or 8000).", min=1, max=65535)
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "",
    no_traffic: Annotated[bool, typer.Option("--no-traffic", help="Do not run the demo traffic generator.")] = False,
) -> None:
    """Run the whole platform on embedded servers: migrate, seed, serve, run the workers, print demo keys."""
    from pavedroad.recruiting.demo import ensure_demo_flag
    from pavedroad.recruiting.tenants import ensure_demo_keys, list_tenants
    from pavedroad.stack import start_stack

    started = time.monotonic()
    cfg = settings()
    host = host or cfg.http_host
    port = port or cfg.http_port
    _require_free(host, port, "demo")
    with console.status("starting Postgres and NATS, migrating…"):
        stack = start_stack(cfg)
    try:
        if not list_tenants(stack.owner_url):
            from pavedroad.recruiting.generator import seed as run_seed

            console.print(f"seeding {DEMO_TENANTS} tenants with ~{DEMO_APPLICATIONS:,} applications…")
            # Dated up to today, so "last 90 days" reports find the demo's activity.
            run_seed(stack.owner_url, applications=DEMO_APPLICATIONS, tenants=DEMO_TENANTS, seed=1,
                     progress=True, reference=date.today())  # fmt: skip
        ensure_demo_flag(stack.owner_url)
        key_file = cfg.data_dir / "demo-keys.json"
        keys = ensure_demo_keys(stack.owner_url, key_file, list_tenants(stack.owner_url))
        _print_keys(keys, key_file)
        _run(cfg, stack, host, port, with_workers=True, traffic_keys=None if no_traffic else keys, started=started)
    finally:
        stack.stop()
    console.print("stopped: service, workers, NATS and Postgres")


@friendly_errors
def serve(
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="HTTP port (default: PAVEDROAD_HTTP_PORT or 8000).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "",
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (graceful shutdown drains in-flight requests); run `pavedroad worker` beside it."""
    from pavedroad.stack import start_stack

    started = time.monotonic()
    cfg = settings()
    host = host or cfg.http_host
    port = port or cfg.http_port
    _require_free(host, port, "serve")
    stack = start_stack(cfg, with_nats=False)  # serving needs only Postgres; `pavedroad worker` talks to NATS
    try:
        if workers > 1:
            import os

            import uvicorn

            from pavedroad.observability import configure_logging

            configure_logging(cfg.log_level, cfg.log_format)
            os.environ["PAVEDROAD_APP_DATABASE_URL"] = stack.app_url
            _say_listening(host, port, started, f"{workers} worker processes")
            uvicorn.run(
                "pavedroad.service.asgi:create", factory=True, workers=workers, host=host, port=port,
                log_level="warning", timeout_graceful_shutdown=10,
            )  # fmt: skip
        else:
            _run(cfg, stack, host, port, with_workers=False, traffic_keys=None, started=started)
    finally:
        stack.stop()


@friendly_errors
def worker(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these workers: relay, sink, canary, slo.")
    ] = None,
) -> None:
    """Run the background workers: outbox relay, warehouse sink, canary controller, SLO evaluator."""
    from pavedroad.stack import start_stack
    from pavedroad.workers import WORKER_NAMES

    chosen = frozenset(only or WORKER_NAMES)
    unknown = chosen - set(WORKER_NAMES)
    if unknown:
        raise InvalidInput(
            f"unknown worker(s): {', '.join(sorted(unknown))}", hint=f"choose from {', '.join(WORKER_NAMES)}"
        )
    cfg = settings()
    stack = start_stack(cfg)
    try:
        asyncio.run(_workers_only(cfg, stack, chosen))
    finally:
        stack.stop()


@friendly_errors
def migrate() -> None:
    """Apply pending migrations (as the owner role)."""
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        console.print(f"applied {len(stack.applied)} migration(s)" + "".join(f"\n  {v}" for v in stack.applied))
    finally:
        stack.stop()


@friendly_errors
def seed(
    applications: Annotated[int, typer.Option(help="Applications to generate across all tenants.")] = DEMO_APPLICATIONS,
    tenants: Annotated[int, typer.Option(help="Number of tenants (sizes spread like real customers).")] = DEMO_TENANTS,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed loads the same data.")] = 1,
) -> None:
    """Generate realistic recruiting data and load it with COPY."""
    if applications < 1 or tenants < 1 or tenants > applications:
        raise InvalidInput(
            f"--applications ({applications}) and --tenants ({tenants}) must be positive,"
            " with at least one application per tenant",
            hint="e.g. `pavedroad seed --applications 100000 --tenants 10 --seed 7`",
        )
    from pavedroad.recruiting.generator import seed as run_seed
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        report = run_seed(stack.owner_url, applications=applications, tenants=tenants, seed=seed, progress=True)
        console.print(report.summary())
        console.print(
            "the warehouse: an empty one is filled from Postgres when the workers start; one that already"
            " holds data gets these rows with `pavedroad warehouse rebuild`",
            highlight=False,
        )
    finally:
        stack.stop()


def _print_keys(keys: Keys, key_file: Path) -> None:
    """The admin key of each tenant, one per line and never cut to the terminal's width (a key that ends
    in "…" cannot be pasted), and the file that holds every role's key."""
    width = max((len(t) for t in keys), default=0)
    lines = [f"  {tenant:<{width}}  {roles['admin']}" for tenant, roles in keys.items() if "admin" in roles]
    roles = sorted({role for per_tenant in keys.values() for role in per_tenant})
    example = next(iter(keys), "acme")
    text = "\n".join([
        "admin API key of each tenant (send as 'Authorization: Bearer <key>'):",
        *lines,
        f"every role's key ({', '.join(roles)}) is in {key_file}, e.g.",
        f"  python3 -c 'import json; print(json.load(open(\"{key_file}\"))[\"{example}\"][\"recruiter\"])'",
    ])  # fmt: skip
    console.print(text, soft_wrap=True, highlight=False, markup=False)


def _say_listening(host: str, port: int, started: float, how: str = "") -> None:
    """Where the server listens (uvicorn's own line is silenced with its info logs)."""
    url = f"http://{host}:{port}"
    console.print(
        f"serving at {url}{f' with {how}' if how else ''} — API docs {url}/docs, dashboard {url}/dashboard"
        f" (sign in with an admin key) — ready in {time.monotonic() - started:.1f}s — Ctrl-C stops",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def _require_free(host: str, port: int, command: str) -> None:
    from pavedroad.db import port_in_use

    if port_in_use(port, host):
        raise ServerStartError(
            f"port {port} on {host} is already in use",
            hint=f"pick another with `pavedroad {command} --port {port + 1}`",
        )


def _server(app: object, host: str, port: int) -> uvicorn.Server:
    """uvicorn's server without its own signal capture: we stop the server, workers and traffic together."""
    import uvicorn

    class Quiet(uvicorn.Server):
        def capture_signals(self) -> contextlib.nullcontext[None]:  # type: ignore[override]
            return contextlib.nullcontext()

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10)  # type: ignore[arg-type]
    return Quiet(config)


def _run(
    cfg: Settings,
    stack: Stack,
    host: str,
    port: int,
    *,
    with_workers: bool,
    traffic_keys: Keys | None,
    started: float,
) -> None:
    """Serve (and run the workers and demo traffic) in one event loop until SIGINT/SIGTERM; exit 0."""
    from pavedroad.observability import configure_logging

    configure_logging(cfg.log_level, cfg.log_format)
    asyncio.run(
        _platform(cfg, stack, host, port, with_workers=with_workers, traffic_keys=traffic_keys, started=started)
    )


async def _platform(
    cfg: Settings,
    stack: Stack,
    host: str,
    port: int,
    *,
    with_workers: bool,
    traffic_keys: Keys | None,
    started: float,
) -> None:
    from pavedroad.service.app import create_app

    app = create_app(cfg, stack.app_url)
    server = _server(app, host, port)
    stop = asyncio.Event()

    def shut_down() -> None:
        stop.set()
        server.should_exit = True

    _on_signals(shut_down)
    serving = asyncio.create_task(server.serve(), name="pavedroad-http")
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn exposes no start event
        await asyncio.sleep(0.05)
    background: list[asyncio.Task[None]] = []
    if serving.done():  # uvicorn could not start (e.g. the port was taken in between)
        await serving
        return
    _say_listening(host, port, started)
    if with_workers:
        from pavedroad.workers import Workers, run_workers

        workers_up: asyncio.Future[Workers] = asyncio.get_running_loop().create_future()
        background.append(asyncio.create_task(run_workers(stack, cfg, app.state.pool, stop=stop, started=workers_up)))
        app.state.canary_controller = (await workers_up).canary_controller
    if traffic_keys:
        from pavedroad.recruiting.traffic import generate_traffic

        background.append(asyncio.create_task(generate_traffic(f"http://{host}:{port}", traffic_keys, stop=stop)))
    await serving
    stop.set()
    for task in background:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=15)


async def _workers_only(cfg: Settings, stack: Stack, chosen: frozenset[str]) -> None:
    from psycopg_pool import AsyncConnectionPool

    from pavedroad.observability import configure_logging
    from pavedroad.workers import run_workers

    configure_logging(cfg.log_level, cfg.log_format)
    stop = asyncio.Event()
    _on_signals(stop.set)
    async with AsyncConnectionPool(stack.app_url, min_size=1, max_size=4, open=False) as pool:
        await run_workers(stack, cfg, pool, stop=stop, only=chosen)


def _on_signals(callback: Callable[[], object]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, callback)
