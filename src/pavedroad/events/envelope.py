"""The event envelope: what every domain change looks like on the wire.

Guarantees: an event id is a UUIDv7 (time-ordered, unique, generated in-process without a round trip);
the envelope names its tenant, aggregate and schema version; ``payload`` is plain JSON; ``classification``
maps each payload field to its data class so consumers can redact or drop what they must not keep.
The subject an event is published on is ``<prefix>.<tenant>.<aggregate_type>.<type>``.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pavedroad.errors import InvalidInput

__all__ = ["CLASSIFICATIONS", "Classification", "Event", "subject_for", "uuid7"]

Classification = Literal["public", "internal", "confidential", "personal", "sensitive"]
CLASSIFICATIONS: tuple[str, ...] = ("public", "internal", "confidential", "personal", "sensitive")

_TOKEN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter, then 62 random bits.

    Ids made in one process are strictly increasing (the counter orders ids within a millisecond), so
    they sort by creation time, which keeps B-tree inserts local and makes ids readable as timestamps.
    """
    global _last_ms, _counter  # noqa: PLW0603 - the monotonic state of one process, guarded by a lock
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = 0
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand
    return uuid.UUID(int=value)


def _token(value: str, what: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(f"{what} {value!r} must be lower-case letters, digits, '_' or '-' (no dots)")
    return value


class Event(BaseModel):
    """One domain change, as stored in the outbox and published to JetStream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=uuid7)
    type: str
    schema_version: int = Field(default=1, ge=1)
    tenant_id: str
    aggregate_type: str
    aggregate_id: str = Field(min_length=1, max_length=200)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    payload: dict[str, Any] = Field(default_factory=dict)
    classification: dict[str, Classification] = Field(default_factory=dict)

    @field_validator("type", "aggregate_type", "tenant_id")
    @classmethod
    def _tokens(cls, value: str) -> str:
        return _token(value, "name")

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        return value

    def subject(self, prefix: str = "pavedroad") -> str:
        """The NATS subject this event is published on."""
        return subject_for(prefix, self.tenant_id, self.aggregate_type, self.type)

    def to_json(self) -> bytes:
        """The wire form (UTF-8 JSON)."""
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        """Parse the wire form; a malformed message raises ``InvalidInput`` (a poison message)."""
        try:
            return cls.model_validate_json(data)
        except ValueError as exc:
            raise InvalidInput(
                f"not a pavedroad event envelope: {str(exc).splitlines()[0]}",
                code="EV400",
                hint="publish events through events.aappend(), never by hand",
            ) from None


def subject_for(prefix: str, tenant_id: str, aggregate_type: str, event_type: str) -> str:
    """``<prefix>.<tenant>.<aggregate>.<type>``; every part is one subject token."""
    return f"{prefix}.{tenant_id}.{aggregate_type}.{event_type}"
