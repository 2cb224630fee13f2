"""Event schemas: classification per field, one registration per (type, version), checked snapshots."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

import pytest

import pavedroad.recruiting.events  # noqa: F401 - registers the reference schemas
from pavedroad.errors import ConfigurationError
from pavedroad.events import EventSchema, SchemaRegistry, breaking_changes, classified, load_snapshot, registry

SNAPSHOT = Path(__file__).resolve().parents[3] / "src" / "pavedroad" / "events" / "schemas.lock.json"


class Thing(EventSchema):
    event_type: ClassVar[str] = "thing_made"
    aggregate_type: ClassVar[str] = "thing"
    version: ClassVar[int] = 1

    thing_id: int
    owner_email: str = classified("personal")
    kind: str = "plain"


def test_fields_default_to_internal_and_declared_ones_keep_their_class() -> None:
    assert Thing.classification() == {"thing_id": "internal", "owner_email": "personal", "kind": "internal"}


def test_to_event_fills_the_envelope() -> None:
    event = Thing(thing_id=3, owner_email="a@b.c").to_event("acme", aggregate_id=3)
    assert (event.type, event.schema_version, event.aggregate_type, event.aggregate_id) == (
        "thing_made",
        1,
        "thing",
        "3",
    )
    assert event.classification["owner_email"] == "personal"
    assert event.payload == {"thing_id": 3, "owner_email": "a@b.c", "kind": "plain"}


def test_registering_two_shapes_for_one_version_fails() -> None:
    reg = SchemaRegistry()
    reg.register(Thing)

    class Other(EventSchema):
        event_type: ClassVar[str] = "thing_made"
        aggregate_type: ClassVar[str] = "thing"

    with pytest.raises(ConfigurationError, match="registered twice"):
        reg.register(Other)


def test_unknown_classification_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        classified("secret")  # type: ignore[arg-type]


def test_current_schemas_are_compatible_with_the_checked_in_snapshot() -> None:
    """CI: every change to a published event schema is additive (`pavedroad events check-schemas`)."""
    assert breaking_changes(load_snapshot(SNAPSHOT), registry.snapshot()) == []


def _thing_snapshot() -> dict[str, Any]:
    reg = SchemaRegistry()
    reg.register(Thing)
    return reg.snapshot()


def _edit(snapshot: dict[str, Any], fn: Any) -> dict[str, Any]:
    new = copy.deepcopy(snapshot)
    fn(new["thing_made@v1"])
    return new


def test_additive_changes_pass() -> None:
    old = _thing_snapshot()

    def add_optional(entry: dict[str, Any]) -> None:
        entry["json_schema"]["properties"]["color"] = {"type": "string", "default": "red"}
        entry["classification"]["color"] = "internal"

    assert breaking_changes(old, _edit(old, add_optional)) == []
    assert breaking_changes(old, {**old, "other@v1": old["thing_made@v1"]}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e: e["json_schema"]["properties"].pop("kind"), "field 'kind' was removed"),
        (lambda e: e["json_schema"]["properties"]["thing_id"].update(type="string"), "field 'thing_id' changed type"),
        (lambda e: e["json_schema"]["required"].append("kind"), "field 'kind' became required"),
        (
            lambda e: (
                e["json_schema"]["properties"].update(size={"type": "integer"}),
                e["json_schema"]["required"].append("size"),
            ),
            "new field 'size' is required",
        ),
        (lambda e: e["classification"].update(owner_email="internal"), "classification relaxed"),
        (lambda e: e.update(aggregate_type="widget"), "aggregate_type changed"),
    ],
)
def test_breaking_changes_are_reported(change: Any, expected: str) -> None:
    """The compatibility check fails on a breaking change, naming the schema and the field."""
    old = _thing_snapshot()
    problems = breaking_changes(old, _edit(old, change))
    assert any(expected in p and p.startswith("thing_made@v1") for p in problems), problems


def test_removed_enum_value_and_removed_schema_break() -> None:
    old = _thing_snapshot()
    old["thing_made@v1"]["json_schema"]["properties"]["kind"] = {"enum": ["a", "b"], "type": "string"}
    narrower = _edit(old, lambda e: e["json_schema"]["properties"]["kind"].update(enum=["a"]))
    wider = _edit(old, lambda e: e["json_schema"]["properties"]["kind"].update(enum=["a", "b", "c"]))
    assert any("lost allowed values ['b']" in p for p in breaking_changes(old, narrower))
    assert breaking_changes(old, wider) == []
    assert breaking_changes(old, {}) == ["thing_made@v1: event schema was removed (keep old versions registered)"]
