"""Automation rules as data: validation on the way in, and the pure decisions over events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pavedroad.events import Event
from pavedroad.workflows import AbsenceTrigger, EventTrigger, Rule, WebhookAction, decide, preview
from pavedroad.workflows.rules import Arm, Disarm, Fire, fire_id

T0 = datetime(2026, 12, 1, tzinfo=UTC)
HOOK = WebhookAction(dependency="hooks", url="https://hooks.example/in")


def _event(kind: str, aggregate: str, minutes: float, aggregate_type: str = "application") -> Event:
    return Event(
        type=kind,
        tenant_id="acme",
        aggregate_type=aggregate_type,
        aggregate_id=aggregate,
        occurred_at=T0 + timedelta(minutes=minutes),
    )


REMIND = Rule(
    id="remind",
    entity="applications",
    trigger=AbsenceTrigger(after="interview_completed", missing="feedback_submitted", within_s=3600),
    actions=[HOOK],
)
PREP = Rule(id="prep", entity="applications", trigger=EventTrigger(event="application_moved"), actions=[HOOK])


def test_an_event_trigger_fires_once_per_matching_event() -> None:
    moved = _event("application_moved", "1", 0)
    assert decide([PREP, REMIND], moved) == [Fire(PREP, moved)]
    assert decide([PREP], _event("application_created", "1", 0)) == []
    assert fire_id(PREP, moved) == f"auto:prep:{moved.id}"


def test_an_absence_trigger_arms_and_disarms() -> None:
    done, feedback = _event("interview_completed", "7", 0), _event("feedback_submitted", "7", 5)
    assert decide([REMIND], done) == [Arm(REMIND, done)]
    assert decide([REMIND], feedback) == [Disarm(REMIND, feedback)]
    assert fire_id(REMIND, done) == f"absent:remind:application:7:{done.id}"


def test_a_rule_ignores_the_runs_its_own_actions_started() -> None:
    """Loop protection: a rule on workflow events does not fire on its own action runs."""
    on_runs = Rule(id="loop", entity="applications", trigger=EventTrigger(event="workflow_succeeded"), actions=[HOOK])
    own = _event("workflow_succeeded", "auto:loop:0190", 0, aggregate_type="workflow")
    other = _event("workflow_succeeded", "auto:other:0190", 0, aggregate_type="workflow")
    assert decide([on_runs], own) == []
    assert decide([on_runs], other) == [Fire(on_runs, other)]


def test_preview_of_an_absence_rule() -> None:
    """Fires for a window that closed empty, or whose missing event came too late; not for one answered
    in time, nor for one still open."""
    history = [
        _event("interview_completed", "answered", 0),
        _event("feedback_submitted", "answered", 30),
        _event("interview_completed", "late", 0),
        _event("feedback_submitted", "late", 90),
        _event("interview_completed", "silent", 10),
        _event("interview_completed", "open", 200),
        _event("feedback_submitted", "stray", 5),
    ]
    fired = preview(REMIND, history, T0 + timedelta(minutes=240))
    assert [e.aggregate_id for e in fired] == ["late", "silent"]


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "Bad Id", "entity": "applications", "trigger": {"kind": "event", "event": "x"}, "actions": [HOOK]},
        {"id": "r", "entity": "applications", "trigger": {"kind": "event", "event": "x"}, "actions": []},
        {"id": "r", "entity": "a", "trigger": {"kind": "absence", "after": "a", "missing": "b", "within_s": 0}},
        {"id": "r", "entity": "a", "trigger": {"kind": "cron", "every": "1h"}, "actions": [HOOK]},
        {"id": "r", "entity": "a", "trigger": {"kind": "event", "event": "x"}, "actions": [{"dependency": "h"}]},
    ],
)
def test_invalid_rules_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Rule.model_validate(bad)
