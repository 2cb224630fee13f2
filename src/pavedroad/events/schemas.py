"""Event schemas: versioned pydantic models for payloads, with a classification on every field.

A domain declares one ``EventSchema`` subclass per event type and version and registers it::

    @event_schema
    class CandidateCreated(EventSchema):
        event_type: ClassVar[str] = "candidate_created"
        aggregate_type: ClassVar[str] = "candidate"
        version: ClassVar[int] = 1
        candidate_id: int
        email: str = classified("personal")

    event = CandidateCreated(candidate_id=7, email="a@b.c").to_event("acme", aggregate_id="7")

Guarantees: a payload is validated against its schema before it reaches the outbox; every field has a
classification (``internal`` unless declared); ``(event_type, version)`` is registered once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pavedroad.errors import ConfigurationError, NotFound
from pavedroad.events.envelope import CLASSIFICATIONS, Classification, Event, uuid7

__all__ = ["EventSchema", "SchemaRegistry", "classified", "event_schema", "registry"]

_CLASS_KEY = "x-classification"


def classified(classification: Classification, default: Any = ..., **kwargs: Any) -> Any:
    """A pydantic ``Field`` carrying its data classification (``personal``, ``sensitive``, …)."""
    if classification not in CLASSIFICATIONS:
        raise ConfigurationError(f"unknown classification {classification!r}", hint=f"one of {CLASSIFICATIONS}")
    return Field(default, json_schema_extra={_CLASS_KEY: classification}, **kwargs)


class EventSchema(BaseModel):
    """Base of every event payload schema: frozen, no unknown fields, one (type, version) per class."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    aggregate_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def classification(cls) -> dict[str, Classification]:
        """Field name → classification (``internal`` when the field declares none)."""
        out: dict[str, Classification] = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            value = extra.get(_CLASS_KEY, "internal")
            out[name] = value if isinstance(value, str) and value in CLASSIFICATIONS else "internal"  # type: ignore[assignment]
        return out

    def to_event(self, tenant_id: str, *, aggregate_id: str | int, occurred_at: datetime | None = None) -> Event:
        """Wrap this payload in an envelope for ``tenant_id`` (id: a fresh UUIDv7)."""
        fields: dict[str, Any] = {
            "id": uuid7(),
            "type": self.event_type,
            "schema_version": self.version,
            "tenant_id": tenant_id,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": str(aggregate_id),
            "payload": self.model_dump(mode="json"),
            "classification": self.classification(),
        }
        if occurred_at is not None:
            fields["occurred_at"] = occurred_at
        return Event(**fields)


S = TypeVar("S", bound=type[EventSchema])


class SchemaRegistry:
    """The set of known event schemas, keyed by ``(event_type, version)``."""

    def __init__(self) -> None:
        self._schemas: dict[tuple[str, int], type[EventSchema]] = {}

    def register(self, schema: S) -> S:
        key = (schema.event_type, schema.version)
        known = self._schemas.get(key)
        if known is not None and known.__qualname__ != schema.__qualname__:
            raise ConfigurationError(
                f"event schema {key[0]} v{key[1]} is registered twice ({known.__qualname__}, {schema.__qualname__})",
                hint="bump `version` for a new shape of the same event type",
            )
        self._schemas[key] = schema
        return schema

    def get(self, event_type: str, version: int) -> type[EventSchema]:
        try:
            return self._schemas[(event_type, version)]
        except KeyError:
            raise NotFound(
                f"no event schema {event_type} v{version}", code="EV404", hint="import the module that declares it"
            ) from None

    def __iter__(self) -> Iterator[type[EventSchema]]:
        return iter(sorted(self._schemas.values(), key=lambda s: (s.event_type, s.version)))

    def __len__(self) -> int:
        return len(self._schemas)

    def validate(self, event: Event) -> EventSchema:
        """Parse ``event.payload`` with its registered schema (raises pydantic's error when it does not fit)."""
        return self.get(event.type, event.schema_version).model_validate(event.payload)

    def snapshot(self) -> dict[str, Any]:
        """Every schema as JSON Schema plus classification, keyed ``type@vN`` (what CI compares)."""
        return {
            f"{s.event_type}@v{s.version}": {
                "aggregate_type": s.aggregate_type,
                "json_schema": s.model_json_schema(),
                "classification": s.classification(),
            }
            for s in self
        }


registry = SchemaRegistry()


def event_schema(schema: S) -> S:
    """Class decorator: register ``schema`` in the process-wide ``registry``."""
    return registry.register(schema)
