"""Database access: embedded server, migrations, pools."""

from pavedroad.db.embedded import LOG_SETTINGS, EmbeddedPostgres, free_port, port_in_use
from pavedroad.db.migrate import (
    APP_ROLE,
    Migration,
    MigrationSource,
    ensure_app_role,
    migrate,
    pending,
    source_from_dir,
    source_from_package,
)
from pavedroad.db.urls import app_url_from_owner, with_database

__all__ = [
    "APP_ROLE",
    "LOG_SETTINGS",
    "EmbeddedPostgres",
    "Migration",
    "MigrationSource",
    "app_url_from_owner",
    "ensure_app_role",
    "free_port",
    "migrate",
    "pending",
    "port_in_use",
    "source_from_dir",
    "source_from_package",
    "with_database",
]
