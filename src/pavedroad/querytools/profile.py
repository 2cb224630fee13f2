"""The compile profiler: per-pass timings for one query or a whole suite, slowest passes and shapes ranked.

Guarantee: figures are trimmed means over ``reps`` traced compiles (``trace.trace_compile``, the real
passes, cache bypassed): the fastest and slowest tenth of the compiles (by total) are set aside as noise,
and the rest averaged. Whole compiles are trimmed, never single passes, and the passes are timed back to
back with one clock, so per-pass figures add up to the total exactly (up to float rounding).
A query that does not compile is reported with its error code, never dropped silently.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pavedroad.query import QueryError, QueryLimitError, SemanticModel, TenantSchema, normalize
from pavedroad.querytools.suite import SuiteQuery
from pavedroad.querytools.trace import trace_compile

__all__ = ["QueryProfile", "SuiteProfile", "profile_query", "profile_suite"]


@dataclass(frozen=True, slots=True)
class QueryProfile:
    name: str
    shape: str
    total_ms: float
    passes: dict[str, float]  # pass name -> median ms, in pipeline order
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SuiteProfile:
    queries: tuple[QueryProfile, ...]
    reps: int

    def pass_totals(self) -> list[tuple[str, float, float]]:
        """(pass, summed median ms over the suite, share of all compile time), slowest first."""
        sums: dict[str, float] = {}
        for q in self.queries:
            for name, ms in q.passes.items():
                sums[name] = sums.get(name, 0.0) + ms
        whole = sum(sums.values()) or 1.0
        return sorted(((n, round(s, 4), round(s / whole, 4)) for n, s in sums.items()), key=lambda r: -r[1])

    def slowest(self, n: int = 10) -> list[QueryProfile]:
        return sorted((q for q in self.queries if q.error is None), key=lambda q: -q.total_ms)[:n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "reps": self.reps,
            "passes": [{"pass": n, "total_ms": s, "share": sh} for n, s, sh in self.pass_totals()],
            "queries": [asdict(q) for q in self.queries],
        }


def profile_query(
    name: str,
    query: str,
    *,
    model: SemanticModel,
    schema: TenantSchema,
    role: str = "admin",
    reps: int = 20,
    clock: Callable[[], float] = time.perf_counter,
) -> QueryProfile:
    """Per-pass and total compile time of ``query`` (ms, trimmed means over ``reps`` traced compiles)."""
    shape = normalize(query)[0]
    traces = []
    try:
        for _ in range(max(reps, 1)):
            traces.append(trace_compile(query, model=model, schema=schema, role=role, clock=clock))
    except (QueryError, QueryLimitError) as exc:
        return QueryProfile(name, shape, 0.0, {}, f"{exc.code} {exc.message}")
    traces.sort(key=lambda t: t.total_s)
    cut = len(traces) // 10
    kept = traces[cut : len(traces) - cut]
    passes = {p.name: statistics.fmean(t.passes[i].seconds for t in kept) * 1000 for i, p in enumerate(kept[0].passes)}
    return QueryProfile(name, shape, statistics.fmean(t.total_s for t in kept) * 1000, passes)


def profile_suite(
    queries: list[SuiteQuery], *, model: SemanticModel, schema: TenantSchema, role: str = "admin", reps: int = 20
) -> SuiteProfile:
    """``profile_query`` for every suite query (interleaved by rep would not change medians; kept simple)."""
    out = tuple(profile_query(q.name, q.query, model=model, schema=schema, role=role, reps=reps) for q in queries)
    return SuiteProfile(out, reps)
