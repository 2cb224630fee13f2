"""Log redaction: a structlog processor (and a stdlib ``logging.Filter``) that removes personal data.

Guarantee: on every log line that passes through it, values under keys naming a field classified
``confidential`` or higher (``email``, ``notes``, ``salary``…, from the registry) are replaced by
``[redacted:<class>]``; email addresses, phone numbers and database "Key (…)=(…)" details are masked in
every other string, including the event text and the formatted exception (formatted here, before
redaction, so tracebacks cannot carry values past it). Nested dicts and lists are walked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from pavedroad.privacy.classification import Classification
from pavedroad.privacy.registry import Registry

__all__ = ["Redactor", "install_redaction", "redact_text"]

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[redacted:email]"),
    (
        re.compile(r"(?<![\w-])\+?\(?\d{1,3}\)?[\s.-]?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]?\d{3,4}(?![\w-])"),
        "[redacted:phone]",
    ),
    (re.compile(r"(Key \([^)]*\)=)\([^)]*\)"), r"\1([redacted])"),  # Postgres constraint violation details
    (re.compile(r"(DETAIL:\s+Failing row contains )\(.*?\)"), r"\1([redacted])"),
)
# Keys whose values are personal whatever the registry says (free-form bodies and credentials).
_ALWAYS = {"password": "secret", "authorization": "secret", "api_key": "secret", "body": "personal"}
_KEEP = {"event", "level", "timestamp", "logger", "request_id", "exception"}  # text still pattern-scanned


def redact_text(text: str) -> str:
    """``text`` with emails, phone numbers and database key details masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redactor:
    """The processor: ``Redactor(registry)`` redacts keys classified ``threshold`` or above."""

    def __init__(self, registry: Registry | None = None, threshold: Classification = Classification.CONFIDENTIAL):
        self.keys: dict[str, str] = dict(_ALWAYS)
        for (_table, column), label in registry.labels.items() if registry else ():
            if label.rank >= threshold.rank and column != "tenant_id":
                current = self.keys.get(column)
                if current is None or Classification(current).rank < label.rank:
                    self.keys[column] = label.value

    def add_keys(self, keys: Iterable[str], label: Classification = Classification.PERSONAL) -> None:
        for key in keys:
            self.keys.setdefault(key, label.value)

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if "exc_info" in event_dict:
            event_dict = structlog.processors.format_exc_info(logger, method, event_dict)
        for key in list(event_dict):
            event_dict[key] = self._value(key, event_dict[key])
        return event_dict

    def _value(self, key: str, value: Any) -> Any:
        label = self.keys.get(key.lower()) if key not in _KEEP else None
        if label is not None and value is not None:
            return f"[redacted:{label}]"
        if isinstance(value, str):
            return redact_text(value)
        if isinstance(value, dict):
            return {k: self._value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set):
            return [self._value("", v) for v in value]
        if isinstance(value, BaseException):
            return redact_text(f"{type(value).__name__}: {value}")
        return value


class RedactingFilter(logging.Filter):
    """The same masking for stdlib ``logging`` records (uvicorn, libraries): message and exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_installed: dict[str, Redactor] = {}


def install_redaction(registry: Registry | None = None) -> Redactor:
    """Register the redactor with ``pavedroad.observability`` (once) and on the root logging handlers."""
    from pavedroad.observability import add_processor, configure_logging

    redactor = _installed.get("redactor")
    if redactor is None:
        redactor = _installed.setdefault("redactor", Redactor(registry))
        add_processor(redactor)
    elif registry is not None:
        redactor.keys.update(Redactor(registry).keys)
    if not structlog.is_configured():
        configure_logging()  # otherwise structlog's defaults would print without our processors
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    return redactor
