"""Projections: how an event changes the warehouse tables, declared as data and folded in pure code.

A domain maps each event type to ``Insert`` (upsert a row by its key) and ``Update`` (set columns of an
existing row) operations whose columns name payload keys (``"application_id"``), list payload keys that
fan out one row per element (``"participant_ids[]"``), the envelope's time (``"@occurred_at"``) or fixed
values (``Const("hired")``). ``tenant_id`` always comes from the envelope.

``fold(events, ...)`` turns a micro-batch into at most one final row per table key, in event order, so a
batch loads with one set-based statement per table and column shape, and applying the same events again
yields the same rows (upserts and updates are last-write-wins on keyed rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pavedroad.errors import ConfigurationError, present

__all__ = ["OCCURRED_AT", "Const", "Insert", "Projection", "TableChanges", "check_projections", "fold"]

_ENVELOPE = "tenant_id"
OCCURRED_AT = "@occurred_at"


@dataclass(frozen=True)
class Const:
    """A fixed column value."""

    value: Any


@dataclass(frozen=True)
class Insert:
    """Upsert one row (or one per element of a ``[]`` source) keyed by the table's primary key."""

    table: str
    columns: Mapping[str, str | Const]


@dataclass(frozen=True)
class Update:
    """Set columns of the row with this key, if the warehouse has it (key columns must be mapped)."""

    table: str
    columns: Mapping[str, str | Const]


Projection = Insert | Update


@dataclass
class TableChanges:
    """Final rows of one table after folding a batch: upserts and updates, keyed by primary key."""

    inserts: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    updates: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)


def _rows(projection: Projection, tenant_id: str, payload: Mapping[str, Any], occurred_at: str) -> list[dict[str, Any]]:
    base: dict[str, Any] = {_ENVELOPE: tenant_id}
    fan_col, fan_values = None, None
    for column, source in projection.columns.items():
        if isinstance(source, Const):
            base[column] = source.value
        elif source == OCCURRED_AT:
            base[column] = occurred_at
        elif source.endswith("[]"):
            fan_col, fan_values = column, payload.get(source[:-2]) or []
        else:
            base[column] = payload.get(source)
    if fan_col is None:
        return [base]
    return [{**base, fan_col: value} for value in present(fan_values, "the fanned-out values")]


def fold(
    events: Iterable[tuple[str, str, Mapping[str, Any], str]],
    projections: Mapping[str, Sequence[Projection]],
    keys: Mapping[str, Sequence[str]],
) -> dict[str, TableChanges]:
    """Fold ``(event_type, tenant_id, payload, occurred_at)`` tuples, in order, into final rows per table.

    Event types without a projection are ignored (the raw log still keeps them).
    """
    out: dict[str, TableChanges] = {}
    for event_type, tenant_id, payload, occurred_at in events:
        for projection in projections.get(event_type, ()):
            changes = out.setdefault(projection.table, TableChanges())
            key_cols = keys[projection.table]
            for row in _rows(projection, tenant_id, payload, occurred_at):
                key = tuple(row[k] for k in key_cols)
                if isinstance(projection, Insert):
                    earlier = changes.inserts.get(key)
                    if earlier is None:
                        changes.inserts[key] = {**changes.updates.pop(key, {}), **row}
                    else:
                        earlier.update(row)
                elif key in changes.inserts:
                    changes.inserts[key].update(row)
                else:
                    changes.updates.setdefault(key, {}).update(row)
    return out


def check_projections(
    projections: Mapping[str, Sequence[Projection]],
    columns: Mapping[str, Sequence[str]],
    keys: Mapping[str, Sequence[str]],
) -> None:
    """Every projection targets a known table and columns, and maps every key column; else raise."""
    for event_type, ops in projections.items():
        for op in ops:
            where = f"projection of {event_type} into {op.table}"
            if op.table not in columns:
                raise ConfigurationError(f"{where}: no such warehouse table", hint=f"known: {sorted(columns)}")
            unknown = set(op.columns) - set(columns[op.table])
            if unknown:
                raise ConfigurationError(f"{where}: unknown columns {sorted(unknown)}")
            missing = set(keys[op.table]) - set(op.columns) - {_ENVELOPE}
            if missing:
                raise ConfigurationError(f"{where}: key columns {sorted(missing)} are not mapped")
            if sum(1 for s in op.columns.values() if isinstance(s, str) and s.endswith("[]")) > 1:
                raise ConfigurationError(f"{where}: at most one fan-out ('[]') column")
