"""The FastAPI app factory: one pool, one error handler, request ids, the routers of each block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from pavedroad import flags as feature_flags
from pavedroad.observability.tracing import configure_tracing
from pavedroad.privacy import install_redaction, load_registry
from pavedroad.service.dashboard import install_dashboard
from pavedroad.service.docs_ui import install_docs
from pavedroad.service.errors import install_error_handlers
from pavedroad.service.middleware import RequestContextMiddleware
from pavedroad.service.routes import automations as automation_routes
from pavedroad.service.routes import canary, events, flags, health, metrics, recruiting, recruiting_writes, slo
from pavedroad.service.routes import custom_fields as custom_field_routes
from pavedroad.service.routes import query as query_routes
from pavedroad.service.routes import scheduling as scheduling_routes
from pavedroad.service.routes import workflows as workflow_routes
from pavedroad.settings import Settings
from pavedroad.stack import MIGRATION_PACKAGES
from pavedroad.tenancy import cache_for, follow_revocations

__all__ = ["create_app"]


def recruiting_model_path() -> Path:
    """The reference service's semantic model (the classification registry's primary source)."""
    return Path(str(resources.files("pavedroad.recruiting") / "model.yaml"))


# Each block adds its router here; order only affects the OpenAPI listing.
ROUTERS = (
    health.router,
    metrics.router,
    recruiting.router,
    recruiting_writes.router,
    custom_field_routes.router,
    query_routes.router,
    flags.router,
    slo.router,
    canary.router,
    events.router,
    workflow_routes.router,
    automation_routes.router,
    scheduling_routes.router,
)


def create_app(settings: Settings, app_url: str) -> FastAPI:
    """A service bound to ``app_url`` (the pavedroad_app role); the pool opens on startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(
            app_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size, open=False
        )
        await pool.open(wait=True, timeout=30)
        app.state.pool = pool
        # Revoked keys are refused at once: this process caches keys only while it hears revocations.
        stop_listening = asyncio.Event()
        revocations = asyncio.create_task(
            follow_revocations(app_url, stop_listening, cache_for(pool)), name="pavedroad-auth"
        )
        # Flags follow the same database; nothing connects until the first evaluation (fork-safe).
        flag_client = feature_flags.configure(app_url, settings.data_dir / "flags" / "snapshot.json")
        try:
            yield
        finally:
            flag_client.runtime.stop()  # before the database goes away, so its watcher ends quietly
            stop_listening.set()
            revocations.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await revocations
            await pool.close()

    app = FastAPI(
        title="pavedroad recruiting service",
        version="0.1.0",
        description=(
            "The reference recruiting API built on pavedroad. Authenticate with `Authorization: Bearer <API key>`."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from local files: /docs works offline
        redoc_url=None,  # ReDoc would load its script and fonts from CDNs
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Every log line of the service passes the privacy redactor: values of fields classified confidential
    # or above (the semantic model and each block's classification.yaml), emails, phones, key details.
    install_redaction(load_registry(model_paths=[recruiting_model_path()], packages=[p for _, p in MIGRATION_PACKAGES]))

    configure_tracing(settings.otel_exporter, version=settings.deploy_version)
    app.add_middleware(RequestContextMiddleware)
    if settings.slo_recorder:
        slo.install(app, settings)  # SLO recorder middleware, /metrics histograms, slice flusher

    for router in ROUTERS:
        app.include_router(router)
    install_dashboard(app)
    install_docs(app)
    return app
