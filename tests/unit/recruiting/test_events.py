"""The recruiting events and their projections agree: every event type projects into mirrored tables,
reading only fields its schema declares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pavedroad.recruiting import events
from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS, UNPROJECTED
from pavedroad.warehouse import Const

SCHEMAS = {
    cls.event_type: cls for cls in (getattr(events, name) for name in events.__all__) if hasattr(cls, "event_type")
}


def test_every_event_type_has_a_projection_and_every_projection_an_event_type() -> None:
    """An event type changes the warehouse mirror or is declared as changing none (``UNPROJECTED``)."""
    assert set(PROJECTIONS) | UNPROJECTED == set(SCHEMAS)
    assert not set(PROJECTIONS) & UNPROJECTED


@pytest.mark.parametrize("event_type", sorted(PROJECTIONS))
def test_a_projection_reads_only_fields_its_event_declares(event_type: str) -> None:
    """A source is a payload field, ``field[]`` (one row per element) or ``@occurred_at`` (the envelope)."""
    fields = set(SCHEMAS[event_type].model_fields)
    for projection in PROJECTIONS[event_type]:
        assert projection.table in MIRRORED_TABLES
        for source in projection.columns.values():
            if isinstance(source, Const) or source.startswith("@"):
                continue
            assert source.removesuffix("[]") in fields, f"{event_type} → {projection.table}: {source}"


def test_personal_fields_are_classified_so_erasure_and_logs_can_find_them() -> None:
    classes = events.CandidateCreated.classification()
    assert {f for f, c in classes.items() if c == "personal"} == {
        "first_name",
        "last_name",
        "email",
        "phone",
        "city",
        "linkedin_url",
    }


def test_an_event_carries_its_tenant_aggregate_and_type() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    event = events.ApplicationHired(application_id=7, hired_at=at, hired_by=3).to_event(
        "alpha", aggregate_id=7, occurred_at=at
    )
    assert (event.tenant_id, event.aggregate_type, event.aggregate_id, event.type) == (
        "alpha",
        "application",
        "7",
        "application_hired",
    )
    assert event.payload["application_id"] == 7
