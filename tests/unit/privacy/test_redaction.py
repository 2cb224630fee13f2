"""Log redaction: classified fields and personal-data patterns never survive a log line."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog

from pavedroad.privacy import Redactor, Registry, redact_text

_REGISTRY = Registry.from_tables(
    {
        "candidates": {"email": "personal", "first_name": "personal", "status": "internal"},
        "offers": {"salary": "confidential"},
    },
    "test",
)


def _run(**event: object) -> dict[str, object]:
    return dict(Redactor(_REGISTRY)(None, "info", dict(event)))


def test_values_of_classified_fields_are_replaced_by_their_class() -> None:
    out = _run(event="candidate created", first_name="Grace", salary=120000, status="active")
    assert out == {
        "event": "candidate created",
        "first_name": "[redacted:personal]",
        "salary": "[redacted:confidential]",
        "status": "active",
    }


def test_patterns_are_masked_in_any_string_and_nested_values() -> None:
    out = _run(event="mail grace@hopper.example failed", ctx={"phone": "+1 415 555 0132", "list": ["x@y.io"]})
    assert out["event"] == "mail [redacted:email] failed"
    assert out["ctx"] == {"phone": "[redacted:phone]", "list": ["[redacted:email]"]}


def test_dates_ids_and_durations_are_not_mistaken_for_phones() -> None:
    text = "at 2026-11-22T12:00:01Z request 4f2a took 1234.56 ms, id 123456789, port 5432"
    assert redact_text(text) == text


def test_database_error_details_lose_their_values() -> None:
    text = "duplicate key value violates unique constraint\nDETAIL:  Key (tenant_id, email)=(acme, Grace) exists."
    assert "Grace" not in redact_text(text)
    assert "Failing row contains ([redacted])" in redact_text("DETAIL:  Failing row contains (acme, 1, Grace, Hopper).")


def test_exceptions_are_formatted_then_redacted() -> None:
    try:
        raise ValueError("could not send to grace@hopper.example")
    except ValueError:
        out = _run(event="send failed", exc_info=True)
    assert "exc_info" not in out
    assert "[redacted:email]" in str(out["exception"])
    assert "grace@hopper.example" not in str(out["exception"])


def test_the_processor_runs_in_a_structlog_chain() -> None:
    lines: list[str] = []

    def sink(_: object, __: str, event_dict: MutableMapping[str, Any]) -> str:
        lines.append(str(event_dict))
        raise structlog.DropEvent

    log = structlog.wrap_logger(None, processors=[Redactor(_REGISTRY), sink])
    log.info("hello", email="grace@hopper.example")
    assert lines == ["{'email': '[redacted:personal]', 'event': 'hello'}"]


def test_stdlib_records_are_masked_by_the_filter() -> None:
    from pavedroad.privacy.redaction import RedactingFilter

    record = logging.LogRecord("uvicorn", logging.INFO, __file__, 1, "GET /x?email=%s", ("grace@hopper.example",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "GET /x?email=[redacted:email]"
