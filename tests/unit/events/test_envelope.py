"""The envelope: UUIDv7 ids, subjects, and a loud failure for anything that is not an envelope."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from pavedroad.errors import InvalidInput
from pavedroad.events import Event, subject_for, uuid7


def test_uuid7_is_version_7_and_strictly_increasing_within_a_millisecond() -> None:
    """Ids made in one process sort by creation, even many per millisecond."""
    ids = [uuid7(now_ms=1_700_000_000_000) for _ in range(5000)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_uuid7_carries_its_timestamp() -> None:
    """The first 48 bits are Unix milliseconds."""
    later = uuid7(now_ms=2_000_000_000_000)
    assert later.int >> 80 >= 2_000_000_000_000


def test_subject_is_prefix_tenant_aggregate_type() -> None:
    event = Event(type="stage_moved", tenant_id="acme", aggregate_type="application", aggregate_id="7")
    assert event.subject("pavedroad") == "pavedroad.acme.application.stage_moved"
    assert subject_for("p", "t1", "a", "b") == "p.t1.a.b"


@pytest.mark.parametrize("field", ["type", "tenant_id", "aggregate_type"])
def test_names_with_dots_or_capitals_are_refused(field: str) -> None:
    """A dot would break the subject's token structure."""
    values = {"type": "ok", "tenant_id": "acme", "aggregate_type": "thing", "aggregate_id": "1", field: "Bad.Name"}
    with pytest.raises(ValueError, match="lower-case"):
        Event(**values)  # type: ignore[arg-type]


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Event(type="x", tenant_id="acme", aggregate_type="t", aggregate_id="1", occurred_at=datetime(2024, 1, 1))


def test_wire_round_trip_and_poison() -> None:
    """to_json/from_json round-trip; garbage raises InvalidInput (a poison message), not a crash."""
    event = Event(
        type="x",
        tenant_id="acme",
        aggregate_type="t",
        aggregate_id="1",
        payload={"a": [1, 2]},
        classification={"a": "personal"},
    )
    assert Event.from_json(event.to_json()) == event
    with pytest.raises(InvalidInput) as info:
        Event.from_json(b"{not json")
    assert info.value.code == "EV400"
