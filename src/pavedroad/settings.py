"""Settings, read once at start from ``PAVEDROAD_*`` environment variables (and a ``.env`` file).

No database or NATS URL means "start an embedded server": the safe default for a laptop and for CI.
Invalid values fail at start with a ``ConfigurationError`` naming the setting and the expected form.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pavedroad.errors import ConfigurationError

__all__ = ["Settings", "get_settings", "load_settings"]

_EXPECTED_FORMS = {
    "database_url": "postgresql://user:password@host:5432/dbname",
    "nats_url": "nats://host:4222",
    "http_port": "a whole number from 1 to 65535",
    "log_level": "one of debug, info, warning, error",
    "log_format": "one of json, console",
}


class Settings(BaseSettings):
    """Validated configuration of one pavedroad process."""

    model_config = SettingsConfigDict(env_prefix="PAVEDROAD_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Owner/admin Postgres URL; unset starts an embedded server."
    )
    app_database_url: str | None = Field(
        default=None,
        description="URL the application connects with (role pavedroad_app); derived from database_url if unset.",
    )
    app_db_password: str | None = Field(default=None, description="Password given to pavedroad_app when derived.")
    nats_url: str | None = Field(default=None, description="NATS URL; unset starts an embedded nats-server.")
    data_dir: Path = Field(default=Path(".pavedroad"), description="Where embedded servers keep their data.")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "console"
    deploy_version: str = Field(default="dev", description="Version label the SLO recorder attaches to samples.")
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    slo_recorder: bool = Field(default=True, description="Record per-route SLIs (turn off only to measure its cost).")
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=10, ge=1)

    @field_validator("database_url", "app_database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value

    @field_validator("nats_url")
    @classmethod
    def _nats_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("nats://", "tls://")):
            raise ValueError("must start with nats:// or tls://")
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus ``overrides``; raise ``ConfigurationError`` on bad values."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        expected = _EXPECTED_FORMS.get(name, "see `pavedroad --help`")
        raise ConfigurationError(
            f"setting PAVEDROAD_{name.upper()} is invalid: {first['msg']}",
            code="E001",
            hint=f"expected {expected}",
            setting=f"PAVEDROAD_{name.upper()}",
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use."""
    return load_settings()
