"""Structured logs with structlog: JSON for machines, console for people, one processor chain.

``configure_logging`` is idempotent. Blocks log through ``structlog.get_logger()``; extra processors
(e.g. the privacy redactor) are inserted with ``add_processor`` so every line passes through them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

__all__ = ["add_processor", "configure_logging"]

Processor = Callable[[Any, str, MutableMapping[str, Any]], Any]
_extra_processors: list[Processor] = []
_state: dict[str, str] = {}


def add_processor(processor: Processor) -> None:
    """Insert ``processor`` before rendering in every logger (e.g. redaction); reconfigures if needed."""
    if processor not in _extra_processors:
        _extra_processors.append(processor)
        if _state:
            configure_logging(_state["level"], _state["format"], force=True)


def configure_logging(level: str = "info", fmt: str = "console", *, force: bool = False) -> None:
    """Route structlog and stdlib logging to stderr at ``level`` in ``fmt`` (json or console)."""
    if _state == {"level": level, "format": fmt} and not force:
        return
    _state.update(level=level, format=fmt)
    renderer: Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *_extra_processors,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    # One INFO line per outbound request drowns everything else; the resilience block logs what matters.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level.upper()]))
