"""The query-shape log's pure half: what a record is, how a shape is named, and the in-process buffer.

Guarantee: a ``ShapeRecord`` never holds a literal value. Its ``shape`` is the compiler's own cache-key
normalization (``compiler.normalize``: strings and numbers lifted to ``?s``/``?i``/``?f``, comments
dropped; the JSON form is first printed as text), and its ``sql`` is the compiled template, whose every
value is a placeholder (the ``verify`` pass refuses inline literals). ``ShapeBuffer.offer`` is O(1) and
never blocks: past ``capacity`` it drops the record and counts the drop, so logging can never slow or
fail a request. Sampling draws from an injected random source, so tests are exact.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pavedroad.query import CompiledQuery, Compiler, from_json, normalize, to_text
from pavedroad.query import ast as qa

__all__ = [
    "CompileTiming",
    "ShapeBuffer",
    "ShapeRecord",
    "TimedCompiler",
    "batch_params",
    "last_compile",
    "shape_id",
    "shape_of",
]


def shape_of(query: str | dict[str, Any] | qa.Pipeline) -> str:
    """The normalized shape of a query in either form (the compiler's cache-key text)."""
    if isinstance(query, str):
        return normalize(query)[0]
    pipeline = query if isinstance(query, qa.Pipeline) else from_json(query)
    return normalize(to_text(pipeline))[0]


def shape_id(shape: str) -> str:
    """A stable short id for a shape (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CompileTiming:
    """What the last compile in this context cost; ``done_at`` is when it returned (perf_counter)."""

    seconds: float
    done_at: float
    compiled: CompiledQuery


_last: ContextVar[CompileTiming | None] = ContextVar("pavedroad_query_last_compile", default=None)


def last_compile() -> CompileTiming | None:
    """The timing ``TimedCompiler`` left in the current context (task), if any."""
    return _last.get()


@dataclass
class TimedCompiler(Compiler):
    """A ``Compiler`` (same cache semantics) that leaves each compile's duration in a context variable."""

    clock: Callable[[], float] = time.perf_counter

    def compile(self, query: str | dict[str, Any] | qa.Pipeline, **kwargs: Any) -> CompiledQuery:
        started = self.clock()
        compiled = super().compile(query, **kwargs)
        done = self.clock()
        _last.set(CompileTiming(done - started, done, compiled))
        return compiled


@dataclass(frozen=True, slots=True)
class ShapeRecord:
    tenant_id: str
    shape_id: str
    shape: str
    sql: str
    role: str
    cache_hit: bool
    compile_us: int
    exec_us: int
    row_count: int
    recorded_at: datetime

    def row(self) -> tuple[Any, ...]:
        """Values in ``INSERT_SQL`` column order."""
        return (self.tenant_id, self.recorded_at, self.shape_id, self.shape, self.sql, self.role, self.cache_hit,
                self.compile_us, self.exec_us, self.row_count)  # fmt: skip


# One statement per batch: the columns as arrays, unnested server-side (COPY is not allowed into a table
# under row-level security, and one INSERT of N rows costs far less than N INSERTs).
INSERT_SQL = (
    "insert into query_shape_log (tenant_id, recorded_at, shape_id, shape, sql, role, cache_hit,"
    " compile_us, exec_us, row_count) select * from unnest(%s::text[], %s::timestamptz[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::boolean[], %s::integer[], %s::integer[], %s::integer[])"
)


def batch_params(records: list[ShapeRecord]) -> list[list[Any]]:
    """``INSERT_SQL``'s parameters for ``records``: one array per column."""
    return [list(col) for col in zip(*(r.row() for r in records), strict=True)]


@dataclass
class ShapeBuffer:
    """A bounded, sampled buffer of records waiting for the flusher."""

    capacity: int = 10_000
    sample: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    dropped: int = 0
    accepted: int = 0
    _items: deque[ShapeRecord] = field(default_factory=deque)

    def wants(self) -> bool:
        """Whether to record the next query (sampling); cheap enough to ask on every request."""
        return self.sample >= 1.0 or (self.sample > 0.0 and self.rng.random() < self.sample)

    def offer(self, record: ShapeRecord) -> bool:
        """Queue ``record``; False (and counted) when the buffer is full."""
        if len(self._items) >= self.capacity:
            self.dropped += 1
            return False
        self._items.append(record)
        self.accepted += 1
        return True

    def drain(self, limit: int | None = None) -> list[ShapeRecord]:
        """Take up to ``limit`` queued records, oldest first."""
        n = len(self._items) if limit is None else min(limit, len(self._items))
        return [self._items.popleft() for _ in range(n)]

    def __len__(self) -> int:
        return len(self._items)


def make_record(
    tenant_id: str, role: str, query: str | dict[str, Any], timing: CompileTiming, *,
    finished: float, row_count: int, now: datetime | None = None,
) -> ShapeRecord:  # fmt: skip
    """A record for one run: compile time from ``timing``; execution is ``finished`` minus compile end."""
    shape = shape_of(query)
    return ShapeRecord(tenant_id, shape_id(shape), shape, timing.compiled.sql, role, timing.compiled.cache_hit,
                       int(timing.seconds * 1e6), max(int((finished - timing.done_at) * 1e6), 0), row_count,
                       now or datetime.now(UTC))  # fmt: skip
