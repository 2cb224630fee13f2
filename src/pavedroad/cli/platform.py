"""Platform commands: ``demo``, ``serve``, ``migrate``, ``seed``."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.db import port_in_use
from pavedroad.errors import InvalidInput, ServerStartError
from pavedroad.settings import Settings

__all__ = ["register"]

DEMO_APPLICATIONS = 20_000
DEMO_TENANTS = 3


def register(app: typer.Typer) -> None:
    """Add the platform commands to the root app."""
    app.command()(demo)
    app.command()(serve)
    app.command()(migrate)
    app.command()(seed)


@friendly_errors
def demo(
    port: Annotated[int, typer.Option(help="HTTP port (default: PAVEDROAD_HTTP_PORT or 8000).", min=1, max=65535)] = 0,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "",
    no_traffic: Annotated[bool, typer.Option("--no-traffic", help="Do not run the demo traffic generator.")] = False,
) -> None:
    """Run the whole platform on embedded servers: migrate, seed a small dataset, serve, print demo keys."""
    from pavedroad.recruiting.tenants import ensure_demo_keys, list_tenants
    from pavedroad.stack import start_stack

    started = time.monotonic()
    cfg = settings()
    host = host or cfg.http_host
    port = port or cfg.http_port
    if port_in_use(port, host):
        raise ServerStartError(
            f"port {port} on {host} is already in use", hint=f"pick another with `pavedroad demo --port {port + 1}`"
        )
    with console.status("starting Postgres and NATS, migrating…"):
        stack = start_stack(cfg)
    try:
        if not list_tenants(stack.owner_url):
            from pavedroad.recruiting.generator import seed as run_seed

            console.print(f"seeding {DEMO_TENANTS} tenants with ~{DEMO_APPLICATIONS:,} applications…")
            run_seed(stack.owner_url, applications=DEMO_APPLICATIONS, tenants=DEMO_TENANTS, seed=1, progress=True)
        keys = ensure_demo_keys(stack.owner_url, cfg.data_dir / "demo-keys.json", list_tenants(stack.owner_url))
        _print_keys(keys, f"http://{host}:{port}")
        console.print(f"ready in {time.monotonic() - started:.1f}s — Ctrl-C stops everything")
        _serve(cfg, stack.app_url, host, port, workers=1, traffic=not no_traffic)
    finally:
        stack.stop()


@friendly_errors
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="HTTP port.")] = 0,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "",
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API on the configured servers (starting embedded ones when no URL is set)."""
    from pavedroad.stack import start_stack

    cfg = settings()
    host = host or cfg.http_host
    port = port or cfg.http_port
    if port_in_use(port, host):
        raise ServerStartError(f"port {port} on {host} is already in use", hint="pick another with --port")
    stack = start_stack(cfg)
    try:
        _serve(cfg, stack.app_url, host, port, workers=workers, traffic=False)
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
    finally:
        stack.stop()


def _print_keys(keys: dict[str, dict[str, str]], url: str) -> None:
    table = Table(title=f"pavedroad is serving at {url}  (API docs: {url}/docs)")
    table.add_column("tenant")
    table.add_column("role")
    table.add_column("API key (send as 'Authorization: Bearer <key>')")
    for tenant, roles in keys.items():
        for role, key in roles.items():
            table.add_row(tenant, role, key)
    console.print(table)


def _serve(cfg: Settings, app_url: str, host: str, port: int, *, workers: int, traffic: bool) -> None:
    """Run uvicorn until Ctrl-C; in-flight requests drain for up to 10 s (graceful shutdown).

    One worker runs in this process; several run as uvicorn worker processes built by
    ``pavedroad.service.asgi:create``, which read the application URL this process resolved.
    """
    import os

    import uvicorn

    from pavedroad.observability import configure_logging
    from pavedroad.service.app import create_app

    configure_logging(cfg.log_level, cfg.log_format)
    common = {"host": host, "port": port, "log_level": "warning", "timeout_graceful_shutdown": 10}
    if workers > 1:
        os.environ["PAVEDROAD_APP_DATABASE_URL"] = app_url
        uvicorn.run("pavedroad.service.asgi:create", factory=True, workers=workers, **common)  # type: ignore[arg-type]
    else:
        uvicorn.Server(uvicorn.Config(create_app(cfg, app_url), **common)).run()  # type: ignore[arg-type]
    del traffic  # the traffic generator is added with the dashboard
