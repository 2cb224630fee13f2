"""Automation rules as data, and the pure decisions over events: fire, arm, disarm, preview.

A rule: a trigger (a domain event type, or "no event X on the same aggregate within T after event Y"),
an optional condition in the query DSL over the event's entity, and actions (webhooks through the
resilience pipeline). Guarantees of this module, all pure (no I/O, no clock but the events' own times):
``decide`` is the one place that turns an event into rule decisions, and ``preview`` replays history
through the same trigger logic, so a preview lists exactly what the live path would have started; a
rule never reacts to the runs its own actions started (loop protection).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pavedroad.events import Event

__all__ = [
    "AbsenceTrigger",
    "Arm",
    "Decision",
    "Disarm",
    "EventTrigger",
    "Fire",
    "Rule",
    "WebhookAction",
    "absence_prefix",
    "decide",
    "fire_id",
    "preview",
]

_TOKEN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_MAX_WINDOW_S = 366 * 24 * 3600


def _token(value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError("must be lower-case letters, digits, '_' or '-', starting with a letter")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EventTrigger(_Strict):
    """Fires once per event of type ``event``."""

    kind: Literal["event"] = "event"
    event: str

    _check = field_validator("event")(classmethod(lambda cls, v: _token(v)))


class AbsenceTrigger(_Strict):
    """Fires when no ``missing`` event reaches the same aggregate within ``within_s`` after an ``after`` event."""

    kind: Literal["absence"] = "absence"
    after: str
    missing: str
    within_s: float = Field(gt=0, le=_MAX_WINDOW_S)

    _check = field_validator("after", "missing")(classmethod(lambda cls, v: _token(v)))


class WebhookAction(_Strict):
    """POST ``{"rule", "event", "aggregate"}`` to ``url`` through the dependency's resilience pipeline."""

    kind: Literal["webhook"] = "webhook"
    dependency: str
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000)

    _check = field_validator("dependency")(classmethod(lambda cls, v: _token(v)))


class Rule(_Strict):
    """One automation rule (a saved version of it)."""

    id: str
    entity: str = Field(description="the semantic model entity the condition reads, e.g. applications")
    trigger: Annotated[EventTrigger | AbsenceTrigger, Field(discriminator="kind")]
    condition: str | None = Field(default=None, max_length=2000)
    actions: list[WebhookAction] = Field(min_length=1, max_length=10)
    version: int = Field(default=1, ge=1)

    _check = field_validator("id", "entity")(classmethod(lambda cls, v: _token(v)))


@dataclass(frozen=True)
class Fire:
    """Start the rule's action run for ``event`` (run id ``fire_id``)."""

    rule: Rule
    event: Event


@dataclass(frozen=True)
class Arm:
    """Start a run that waits ``within_s`` for the missing event, then acts."""

    rule: Rule
    event: Event


@dataclass(frozen=True)
class Disarm:
    """The missing event arrived: wake the aggregate's armed runs so they end without acting."""

    rule: Rule
    event: Event


Decision = Fire | Arm | Disarm


def fire_id(rule: Rule, event: Event) -> str:
    """The action run's id: one run per (rule, triggering event), so a redelivered event starts nothing new."""
    kind = "absent" if isinstance(rule.trigger, AbsenceTrigger) else "auto"
    prefix = absence_prefix(rule, event) if kind == "absent" else f"auto:{rule.id}:"
    return f"{prefix}{event.id}"


def absence_prefix(rule: Rule, event: Event) -> str:
    """The id prefix of a rule's armed runs on one aggregate."""
    return f"absent:{rule.id}:{event.aggregate_type}:{event.aggregate_id}:"


def _own_run(rule: Rule, event: Event) -> bool:
    """Loop protection: the event is a state change of a run this rule started."""
    return event.aggregate_type == "workflow" and event.aggregate_id.startswith(
        (f"auto:{rule.id}:", f"absent:{rule.id}:")
    )


def decide(rules: Iterable[Rule], event: Event) -> list[Decision]:
    """What ``event`` means for each rule."""
    out: list[Decision] = []
    for rule in rules:
        if _own_run(rule, event):
            continue
        trigger = rule.trigger
        if isinstance(trigger, EventTrigger):
            if event.type == trigger.event:
                out.append(Fire(rule, event))
            continue
        if event.type == trigger.after:
            out.append(Arm(rule, event))
        if event.type == trigger.missing:
            out.append(Disarm(rule, event))
    return out


def preview(rule: Rule, history: Sequence[Event], now: datetime) -> list[Event]:
    """The events that would have started an acting run of ``rule`` over ``history`` (in time order),
    judged by ``decide``: an event trigger fires on each match; an absence trigger fires on each
    ``after`` event whose window closed by ``now`` with no ``missing`` event on its aggregate in it.
    The condition is not judged here (the caller checks it, against today's data)."""
    events = sorted(history, key=lambda e: (e.occurred_at, str(e.id)))
    fired: list[Event] = []
    armed: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        for decision in decide([rule], event):
            if isinstance(decision, Fire):
                fired.append(event)
            elif isinstance(decision, Arm):
                armed.setdefault((event.aggregate_type, event.aggregate_id), []).append(event)
            else:
                window = timedelta(seconds=rule.trigger.within_s)  # type: ignore[union-attr]
                key = (event.aggregate_type, event.aggregate_id)
                armed[key] = [a for a in armed.get(key, []) if a.occurred_at + window < event.occurred_at]
    if isinstance(rule.trigger, AbsenceTrigger):
        window = timedelta(seconds=rule.trigger.within_s)
        fired += [a for pending in armed.values() for a in pending if a.occurred_at + window <= now]
    return sorted(fired, key=lambda e: (e.occurred_at, str(e.id)))
