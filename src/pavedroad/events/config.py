"""Configuration of the event pipeline: stream names, retention, replicas, batch sizes, retries.

A block config model with safe defaults, read from ``PAVEDROAD_EVENTS_*`` environment variables, so the
core ``Settings`` stay small. Tests pass a unique ``subject_prefix``/``stream`` to share one NATS server.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["EventsConfig"]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class EventsConfig(BaseSettings):
    """Everything the relay, consumers and sink need to agree on."""

    model_config = SettingsConfigDict(env_prefix="PAVEDROAD_EVENTS_", extra="ignore", frozen=True)

    subject_prefix: str = Field(default="pavedroad", description="First subject token of every event.")
    stream: str = Field(default="PAVEDROAD_EVENTS", description="JetStream stream holding the events.")
    replicas: int = Field(default=1, ge=1, le=5, description="Stream replicas (3 on a NATS cluster).")
    max_age_s: float = Field(default=7 * 86400, gt=0, description="Stream retention (replay horizon).")
    max_bytes: int = Field(default=-1, description="Stream size cap in bytes; -1 for none.")
    dedup_window_s: float = Field(default=120, gt=0, description="JetStream duplicate window for Nats-Msg-Id.")
    relay_batch: int = Field(default=5000, ge=1, le=50_000, description="Rows claimed and published per round.")
    relay_poll_s: float = Field(default=0.5, gt=0, description="Polling fallback when no NOTIFY arrives.")
    relay_shards: int = Field(default=1, ge=1, le=256, description="Aggregate-hash shards (one relay each).")
    publish_timeout_s: float = Field(default=5.0, gt=0)
    outbox_retention_h: float = Field(default=24, gt=0, description="Keep delivered outbox rows this long.")
    partitions_ahead_days: int = Field(default=2, ge=1, le=30)
    max_deliver: int = Field(default=5, ge=1, le=100, description="Attempts before a message is dead-lettered.")
    backoff_s: tuple[float, ...] = Field(default=(0.5, 2.0, 10.0, 30.0), description="Redelivery delays.")
    ack_wait_s: float = Field(default=30, gt=0)
    sink_batch: int = Field(default=5000, ge=1, le=100_000)
    sink_max_wait_s: float = Field(default=0.02, ge=0.005, description="Longest a sink waits to fill a batch.")
    dims_refresh_s: float = Field(default=30, gt=0, description="How often the sink re-reads dimension tables.")

    @field_validator("subject_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9_-]{0,40}$", value):
            raise ValueError("subject_prefix must be one lower-case subject token")
        return value

    @field_validator("stream")
    @classmethod
    def _stream(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("stream must be letters, digits, '_' or '-'")
        return value

    @property
    def subjects(self) -> str:
        """The wildcard the events stream captures."""
        return f"{self.subject_prefix}.>"

    @property
    def dlq_stream(self) -> str:
        return f"{self.stream}_DLQ"

    @property
    def dlq_prefix(self) -> str:
        return f"{self.subject_prefix}_dlq"

    def dlq_subject(self, consumer: str) -> str:
        return f"{self.dlq_prefix}.{consumer}"

    def backoff(self, attempt: int) -> float:
        """Delay before redelivery after failed attempt ``attempt`` (1-based); the last step repeats."""
        steps = self.backoff_s or (1.0,)
        return steps[min(max(attempt, 1), len(steps)) - 1]
