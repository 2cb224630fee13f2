"""The per-process recorder: latency sketches and good/bad/total counts per time slice, per label set.

Guarantees: every recorded sample lands in exactly one slice cell (``kind, route, method, status class,
variant, tenant`` within a ``slice_seconds`` slice of wall-clock time) and in one cumulative Prometheus
histogram child (the same labels minus the tenant, which is never a Prometheus label). ``drain`` hands
over every cell recorded so far exactly once, for the flusher to merge into Postgres; cells of several
processes with equal keys add up (counts add, sketches merge) so the merged view is exact.

The hot path (``record_http``) does one clock read, one dict lookup, a bin update and a bisect; label
children and cells are created once per key and slice, never per request. It is meant to be called from
one thread (the event loop); ``record_dependency`` may be called from others — a sample racing a
``drain`` on another thread can be lost, which the flusher's interval makes rare and harmless.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left as _bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pavedroad.slo.cohort import DEFAULT_VARIANT, current_cohort, current_tenant
from pavedroad.slo.sketch import BIN_SCALE, MIN_VALUE, LogSketch, value_of

__all__ = [
    "DEFAULT_BUCKETS",
    "GOOD_OUTCOMES",
    "HistogramChild",
    "Recorder",
    "SliceRow",
    "default_recorder",
    "record_dependency",
    "status_class",
    "use_recorder",
]

# Classic-histogram bounds (seconds). They include the usual latency-SLO thresholds (100/200/300/500 ms,
# 1 s) because a PromQL latency SLI can only count "under T" at a bucket bound.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.2,
    0.3,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    10.0,
)
GOOD_OUTCOMES = frozenset({"success", "ok", "client_error"})
UNMATCHED = "<unmatched>"
_CLASSES = ("0xx", "1xx", "2xx", "3xx", "4xx", "5xx")
_MULT = BIN_SCALE
_log = math.log
_ceil = math.ceil

Key = tuple[str, str, str, str, str, str]  # kind, route, method, status_class, variant, tenant


def status_class(status: int) -> str:
    """``503 -> "5xx"``; anything outside 100-599 is ``"5xx"`` (a broken response is a failure)."""
    index = status // 100
    return _CLASSES[index] if 1 <= index <= 5 else "5xx"


class HistogramChild:
    """One cumulative classic-histogram series: per-bucket counts (last = +Inf) and the sum."""

    __slots__ = ("counts", "sum")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.sum = 0.0


class _Cell:
    """A sketch laid out flat (count, sum, zero bin, bins) so the hot path needs no method call."""

    __slots__ = ("bad", "bins", "child", "count", "sum", "zero")

    def __init__(self, child: HistogramChild) -> None:
        self.bad = 0
        self.count = 0
        self.sum = 0.0
        self.zero = 0
        self.bins: dict[int, int] = {}
        self.child = child

    def add(self, latency_s: float, bad: bool) -> None:
        if bad:
            self.bad += 1
        self.count += 1
        self.sum += latency_s
        if latency_s > MIN_VALUE:
            key = _ceil(_log(latency_s) * _MULT)
            self.bins[key] = self.bins.get(key, 0) + 1
        else:
            self.zero += 1

    def sketch(self) -> LogSketch:
        sketch = LogSketch()
        sketch.bins, sketch.zero, sketch.count, sketch.sum = self.bins, self.zero, self.count, self.sum
        if self.bins:
            sketch.min, sketch.max = value_of(min(self.bins)), value_of(max(self.bins))
            if self.zero:
                sketch.min = 0.0
        else:
            sketch.min = sketch.max = 0.0
        return sketch


@dataclass(frozen=True, slots=True)
class SliceRow:
    """One drained cell: what a flush merges into ``pavedroad_meta.slo_slices``."""

    slice_start: float
    slice_seconds: int
    kind: str
    service: str
    route: str
    method: str
    status_class: str
    version: str
    variant: str
    tenant: str
    bad: int
    sketch: LogSketch

    @property
    def total(self) -> int:
        return self.sketch.count

    def key(self) -> tuple[float, str, str, str, str, str, str, str]:
        """The merge key (rows of several processes with equal keys add up)."""
        return (
            self.slice_start,
            self.kind,
            self.route,
            self.method,
            self.status_class,
            self.version,
            self.variant,
            self.tenant,
        )


class Recorder:
    """Record requests and dependency calls; ``drain`` for the flusher, ``children`` for Prometheus."""

    def __init__(
        self,
        service: str = "pavedroad",
        version: str = "dev",
        *,
        slice_seconds: int = 10,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
        time_source: Callable[[], float] = time.time,
    ) -> None:
        if slice_seconds < 1:
            raise ValueError("slice_seconds must be at least 1")
        self.service = service
        self.version = version
        self.slice_seconds = slice_seconds
        self.buckets: tuple[float, ...] = tuple(sorted(set(buckets)))
        self.children: dict[Key, HistogramChild] = {}
        self._time = time_source
        self._slice = -1
        self._cells: dict[Key, _Cell] = {}
        self._closed: list[tuple[int, dict[Key, _Cell]]] = []
        self._lock = threading.RLock()

    def record(  # noqa: PLR0917 - positional on purpose: the hot path avoids keyword binding
        self, kind: str, route: str, method: str, klass: str, latency_s: float, bad: bool, variant: str, tenant: str
    ) -> None:
        """Record one sample under the given labels (the middleware and ``record_dependency`` call this)."""
        current = int(self._time() // self.slice_seconds)
        if current != self._slice:
            self._roll(current)
        key = (kind, route, method, klass, variant, tenant)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = self._new_cell(key)
        cell.add(latency_s, bad)
        child = cell.child
        child.counts[_bisect(self.buckets, latency_s)] += 1
        child.sum += latency_s

    def record_http(  # noqa: PLR0917 - positional on purpose: called once per request
        self, route: str, method: str, status: int, latency_s: float, variant: str = DEFAULT_VARIANT, tenant: str = ""
    ) -> None:
        """Record one served request (5xx is bad). ``record`` inlined: this runs on every request."""
        current = int(self._time() // self.slice_seconds)
        if current != self._slice:
            self._roll(current)
        key = ("http", route, method, _CLASSES[status // 100] if 100 <= status < 600 else "5xx", variant, tenant)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = self._new_cell(key)
        if status >= 500:
            cell.bad += 1
        cell.count += 1
        cell.sum += latency_s
        if latency_s > MIN_VALUE:
            bin_key = _ceil(_log(latency_s) * _MULT)
            bins = cell.bins
            bins[bin_key] = bins.get(bin_key, 0) + 1
        else:
            cell.zero += 1
        child = cell.child
        child.counts[_bisect(self.buckets, latency_s)] += 1
        child.sum += latency_s

    def record_dependency(
        self, dependency: str, outcome: str, latency_s: float, *, variant: str | None = None, tenant: str | None = None
    ) -> None:
        """Record one outbound call; ``outcome`` not in ``GOOD_OUTCOMES`` is bad. Inside a recorded request
        the call inherits the request's cohort and tenant unless given."""
        with self._lock:
            self.record(
                "dependency",
                dependency,
                "",
                outcome,
                latency_s,
                outcome not in GOOD_OUTCOMES,
                variant or current_cohort() or DEFAULT_VARIANT,
                current_tenant() if tenant is None else tenant,
            )

    def drain(self) -> list[SliceRow]:
        """Every cell recorded since the last drain (the current, partial slice included), exactly once."""
        with self._lock:
            closed = self._closed
            closed.append((self._slice, self._cells))
            self._closed = []
            self._cells = {}
        rows = []
        for slice_no, cells in closed:
            start = float(slice_no * self.slice_seconds)
            for (kind, route, method, klass, variant, tenant), cell in cells.items():
                rows.append(
                    SliceRow(
                        start,
                        self.slice_seconds,
                        kind,
                        self.service,
                        route,
                        method,
                        klass,
                        self.version,
                        variant,
                        tenant,
                        cell.bad,
                        cell.sketch(),
                    )
                )
        return rows

    def _roll(self, current: int) -> None:
        with self._lock:
            if self._cells:
                self._closed.append((self._slice, self._cells))
                self._cells = {}
            self._slice = current

    def _new_cell(self, key: Key) -> _Cell:
        label_key: Key = (*key[:5], "")
        child = self.children.get(label_key)
        if child is None:
            child = self.children[label_key] = HistogramChild(len(self.buckets) + 1)
        return _Cell(child)


_default: list[Recorder | None] = [None]


def use_recorder(recorder: Recorder | None) -> None:
    """Make ``recorder`` the process default (``install`` does this), or clear it with ``None``."""
    _default[0] = recorder


def default_recorder() -> Recorder | None:
    """The process default recorder, if one is installed."""
    return _default[0]


def record_dependency(dependency: str, outcome: str, latency_s: float, *, tenant: str | None = None) -> bool:
    """Record an outbound call on the default recorder; ``False`` when none is installed.

    This is the resilience pipeline's listener (``instrument`` registers it with
    ``pavedroad.resilience.add_listener``): every call through a pipeline lands here once, with the
    whole call's latency and its outcome (``success`` is good; ``failure``, ``timeout``,
    ``circuit_open``, ``bulkhead_full``, ``rate_limited`` are bad).
    """
    recorder = _default[0]
    if recorder is None:
        return False
    recorder.record_dependency(dependency, outcome, latency_s, tenant=tenant)
    return True
