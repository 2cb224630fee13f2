"""A pytest plugin proving no personal value reaches the logs during a whole test session.

Guarantee: while the plugin is active, every structlog line (after the redactor, i.e. exactly what would
be written) and every stdlib log record is captured, and so is every line the test session's own
Postgres and NATS servers wrote to their logs (read just before they stop); before each test database is
dropped, the values of its columns classified ``personal`` or ``sensitive`` are harvested; at the end of
the session any harvested value found in any captured line fails the session with the line and the
column it came from.
Activate it for a whole suite with ``pytest_plugins = ["pavedroad.privacy.leakcheck"]`` in the root
``conftest.py`` (or ``-p pavedroad.privacy.leakcheck``); ``LogTap`` is usable on its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pavedroad.privacy.classification import Classification
from pavedroad.privacy.redaction import RedactingFilter, install_redaction
from pavedroad.privacy.registry import Registry

__all__ = ["LogTap", "find_leaks", "harvest_personal_values", "read_server_logs"]

_MIN_LENGTH = 6  # shorter values ("Ann", "yes") match too much ordinary text to be evidence of a leak


class LogTap(logging.Handler):
    """Captures log output: as a structlog processor (register it last) and as a logging handler."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.addFilter(RedactingFilter())

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        self.lines.append(json.dumps(dict(event_dict), default=str))
        return event_dict

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + (f"\n{record.exc_text}" if record.exc_text else ""))


def harvest_personal_values(owner_url: str, registry: Registry) -> dict[str, str]:
    """``value -> "table.column"`` for text values classified personal or above in that database."""
    found: dict[str, str] = {}
    with psycopg.connect(owner_url, autocommit=True) as conn:
        present = {
            r[0]
            for r in conn.execute(
                "select table_name || '.' || column_name from information_schema.columns"
                " where table_schema = 'public' and data_type in ('text', 'character varying')"
            )
        }
        for table, column in registry:
            label = registry.get(table, column)
            if label is None or label.rank < Classification.PERSONAL.rank or f"{table}.{column}" not in present:
                continue
            query = sql.SQL("select distinct {} from {} where length({}) >= %s limit 10000").format(
                sql.Identifier(column), sql.Identifier(table), sql.Identifier(column)
            )
            for (value,) in conn.execute(query, (_MIN_LENGTH,)):
                found.setdefault(str(value), f"{table}.{column}")
    return found


def read_server_logs(paths: Iterable[Path]) -> list[str]:
    """Every line of the given server log files, each prefixed with its file (missing files are skipped)."""
    lines: list[str] = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            text = path.read_text(errors="replace")
            lines.extend(f"{path}: {line}" for line in text.splitlines())
    return lines


def find_leaks(lines: list[str], values: dict[str, str]) -> list[str]:
    """One message per (value, line) where a personal value appears in a captured line."""
    return [
        f"{where} value found in log line: {line[:300]}"
        for value, where in values.items()
        for line in lines
        if value in line
    ]


_state: dict[str, Any] = {}


def pytest_configure(config: Any) -> None:
    """Install the redactor and the tap; harvest each test database before it is dropped."""
    if _state:
        return
    from pavedroad.testing import TestServers

    install_redaction()
    tap = LogTap()
    from pavedroad.observability import add_processor

    add_processor(tap)
    logging.getLogger().addHandler(tap)
    values: dict[str, str] = {}
    original = TestServers.drop_database

    def drop_database(self: TestServers, db: Any) -> None:
        with contextlib.suppress(psycopg.Error):  # a database a test already dropped holds nothing to compare
            values.update(harvest_personal_values(db.owner_url, _registry()))
        original(self, db)

    TestServers.drop_database = drop_database  # type: ignore[method-assign]
    original_stop = TestServers.stop

    def stop(self: TestServers) -> None:
        tap.lines.extend(read_server_logs(self.log_files))
        original_stop(self)

    TestServers.stop = stop  # type: ignore[method-assign]
    _state.update(tap=tap, values=values, original=original, config=config)


def _registry() -> Registry:
    if "registry" not in _state:
        from importlib import resources
        from pathlib import Path

        from pavedroad.privacy.registry import load_registry

        model = Path(str(resources.files("pavedroad.recruiting").joinpath("model.yaml")))
        _state["registry"] = load_registry(model_paths=[model], packages=["pavedroad.privacy"])
    registry: Registry = _state["registry"]
    return registry


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Fail the session when a harvested personal value appears in any captured log line."""
    if not _state:
        return
    leaks = find_leaks(_state["tap"].lines, _state["values"])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        if reporter is not None:
            reporter.write_line(f"privacy leak check: {len(leaks)} personal value(s) reached the logs", red=True)
            for leak in leaks[:20]:
                reporter.write_line("  " + leak)
        session.exitstatus = 1
    elif reporter is not None:
        reporter.write_line(
            f"privacy leak check: {len(_state['values'])} personal values checked against"
            f" {len(_state['tap'].lines)} log lines, none leaked"
        )
