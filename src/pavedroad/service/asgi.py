"""Import target for multi-worker serving: ``uvicorn pavedroad.service.asgi:create --factory``.

Each worker process builds its own app (and pool) from the settings and the application URL the parent
resolved (``PAVEDROAD_APP_DATABASE_URL``), so workers never start servers or run migrations themselves.
"""

from __future__ import annotations

from fastapi import FastAPI

from pavedroad.errors import ConfigurationError
from pavedroad.service.app import create_app
from pavedroad.settings import load_settings

__all__ = ["create"]


def create() -> FastAPI:
    """Build the app for one worker process."""
    settings = load_settings()
    if settings.app_database_url is None:
        raise ConfigurationError(
            "PAVEDROAD_APP_DATABASE_URL is not set for a worker process",
            hint="start workers with `pavedroad serve --workers N`, which sets it",
        )
    return create_app(settings, settings.app_database_url)
