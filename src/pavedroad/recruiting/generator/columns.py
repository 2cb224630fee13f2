"""Column helpers shared by the row builders: Arrow arrays from numpy, and id allocation.

Rows are built column by column (numpy for numbers and times, Arrow compute for strings) and kept as
``pyarrow.Table`` objects whose column names are exactly the target table's columns, in COPY order.
Timestamps are whole seconds since the epoch; a negative value means NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs published
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]  # no stubs published

__all__ = ["IDENTITY_TABLES", "TABLES", "Batch", "Ids", "const", "ints", "join", "pick", "stamps"]

# Tables whose id is an identity column the generator fills explicitly (sequences are moved after loading).
IDENTITY_TABLES = (
    "users",
    "departments",
    "locations",
    "sources",
    "jobs",
    "job_stages",
    "candidates",
    "applications",
    "stage_transitions",
    "interviews",
    "scorecards",
    "offers",
    "custom_field_definitions",
)

# Every table the generator loads, parents before children.
TABLES = (
    "tenants",
    "departments",
    "locations",
    "sources",
    "users",
    "jobs",
    "job_stages",
    "job_hiring_team",
    "custom_field_definitions",
    "candidates",
    "eeoc_responses",
    "applications",
    "stage_transitions",
    "interviews",
    "interview_participants",
    "scorecards",
    "offers",
)

# Naive (zone-less) seconds: Arrow formats them ~18x faster than zoned ones; the loader's session runs
# with TimeZone = 'UTC', so Postgres reads them as UTC instants.
_UTC_SECONDS = pa.timestamp("s")


@dataclass
class Batch:
    """Tables to load together, in dependency order, and how many applications they carry."""

    tables: list[tuple[str, pa.Table]] = field(default_factory=list)
    applications: int = 0

    def add(self, name: str, columns: dict[str, pa.Array | np.ndarray]) -> None:
        self.tables.append((name, pa.table(columns)))

    @property
    def rows(self) -> int:
        return sum(t.num_rows for _, t in self.tables)


class Ids:
    """Hands out consecutive ids per table, starting after the ids already in the database."""

    def __init__(self, after: dict[str, int]) -> None:
        self._next = {name: after.get(name, 0) + 1 for name in IDENTITY_TABLES}
        self._first = dict(self._next)

    def last(self) -> dict[str, int]:
        """The last id handed out, for each table that was handed any."""
        return {name: value - 1 for name, value in self._next.items() if value > self._first[name]}

    def take(self, table: str, count: int) -> np.ndarray:
        start = self._next[table]
        self._next[table] = start + count
        return np.arange(start, start + count, dtype=np.int64)


def stamps(seconds: np.ndarray) -> pa.Array:
    """``timestamptz`` column (UTC) from epoch seconds; negative values become NULL."""
    values = np.asarray(seconds, dtype=np.int64)
    nulls = values < 0
    return pa.array(values, type=_UTC_SECONDS, mask=nulls if nulls.any() else None)


def ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """``bigint`` column; rows where ``null`` is true become NULL."""
    return pa.array(np.asarray(values, dtype=np.int64), mask=null if null is not None and null.any() else None)


def const(value: str | int, count: int) -> pa.Array:
    """The same value on every row (e.g. ``tenant_id``)."""
    return pa.repeat(value, count)


def pick(vocabulary: Sequence[str] | pa.Array, index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """``vocabulary[index]`` per row as a string column; rows where ``null`` is true become NULL."""
    vocab = vocabulary if isinstance(vocabulary, pa.Array) else pa.array(list(vocabulary), type=pa.string())
    mask = null if null is not None and null.any() else None
    return vocab.take(pa.array(np.asarray(index, dtype=np.int64), mask=mask))


def join(*parts: pa.Array | str | Iterable[str]) -> pa.Array:
    """Row-wise string concatenation of columns and literals (Arrow compute, no Python per row)."""
    return pc.binary_join_element_wise(*parts, "")
