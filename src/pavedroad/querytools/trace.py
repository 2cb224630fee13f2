"""A compile with the lid off: the passes of ``pipeline.PASSES`` run one by one, each timed, and the state
after each kept, so explain and the profiler see exactly what the compiler does.

Guarantee: ``trace_compile`` runs the same passes in the same order as ``Compiler.compile`` (it reads
``PASSES``, it does not copy them) and never touches the compiled-query cache; the per-pass times are
measured back to back with one clock, so they add up to ``total_s`` up to the clock's own overhead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pavedroad.query import (
    PASSES,
    Context,
    DefaultPolicy,
    Dialect,
    FieldPolicy,
    Limits,
    Pass,
    QueryError,
    QueryLimitError,
    QueryState,
    SemanticModel,
    TenantSchema,
    from_json,
)
from pavedroad.query import ast as qa

__all__ = ["PassTiming", "Trace", "trace_compile"]


@dataclass(frozen=True, slots=True)
class PassTiming:
    """One pass: its name, how long it took, and the state it returned."""

    name: str
    seconds: float
    state: QueryState


@dataclass(frozen=True, slots=True)
class Trace:
    """Every pass of one compile, in order; ``total_s`` is measured around all of them."""

    passes: tuple[PassTiming, ...]
    total_s: float
    ctx: Context

    @property
    def final(self) -> QueryState:
        return self.passes[-1].state

    def state_after(self, name: str) -> QueryState:
        """The state the pass called ``name`` returned."""
        return next(p.state for p in self.passes if p.name == name)


def trace_compile(
    query: str | dict[str, Any] | qa.Pipeline,
    *,
    model: SemanticModel,
    schema: TenantSchema,
    role: str = "admin",
    dialect: Dialect = "postgres",
    policy: FieldPolicy | None = None,
    limits: Limits | None = None,
    has_cursor: bool = False,
    clock: Callable[[], float] = time.perf_counter,
    passes: tuple[Pass, ...] = PASSES,
) -> Trace:
    """Run the passes on ``query`` one at a time; errors render with their source, as ``compile`` does."""
    if isinstance(query, str):
        state = QueryState(query)
    else:
        state = QueryState(None, query if isinstance(query, qa.Pipeline) else from_json(query))
    ctx = Context(model, schema, role, dialect, policy or DefaultPolicy(), limits or Limits(), (), has_cursor)
    out: list[PassTiming] = []
    start = last = clock()
    try:
        for step in passes:
            state = step(state, ctx)
            now = clock()
            out.append(PassTiming(step.__name__, now - last, state))
            last = now
    except (QueryError, QueryLimitError) as exc:
        raise exc.with_source(state.source) from None
    return Trace(tuple(out), last - start, ctx)
