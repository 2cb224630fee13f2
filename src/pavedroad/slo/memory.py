"""Which slices an SLI counts, and how: shared by the in-memory source and the report code.

Guarantees: a row belongs to an SLO when service, source kind, route, route prefix and method match
(``None`` in the SLI matches anything); availability counts the row's bad events (5xx, or a bad dependency outcome);
latency counts as bad every sample above the threshold, read from the row's sketch (the bin holding
the threshold counts as under it, so the line is drawn within 2% of the threshold). A window ending at
``now`` of length ``W`` holds the slices that start in ``(now - W, now]``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from pavedroad.slo.budget import Counts
from pavedroad.slo.recorder import SliceRow
from pavedroad.slo.spec import SLO

__all__ = ["MemorySliceSource", "SliceSeries", "row_counts", "sli_matches"]


def sli_matches(slo: SLO, row: SliceRow) -> bool:
    """Does ``row`` belong to ``slo``'s SLI?"""
    sli = slo.sli
    if sli is None or row.service != slo.service or row.kind != sli.source:
        return False
    if sli.route is not None and row.route != sli.route:
        return False
    if sli.route_prefix is not None and not row.route.startswith(sli.route_prefix):
        return False
    return sli.method is None or row.method == sli.method


def row_counts(slo: SLO, row: SliceRow) -> Counts:
    """Bad and total events ``row`` contributes to ``slo``."""
    assert slo.sli is not None
    total = row.sketch.count
    if slo.sli.kind == "availability":
        return Counts(row.bad, total)
    assert slo.sli.threshold_s is not None
    return Counts(total - row.sketch.count_at_most(slo.sli.threshold_s), total)


class SliceSeries:
    """Counts per slice start for one SLO and tenant, with prefix sums rebuilt only when data arrived."""

    __slots__ = ("bad", "by_slice", "dirty", "starts", "total")

    def __init__(self) -> None:
        self.by_slice: dict[float, Counts] = {}
        self.dirty = False
        self.starts: list[float] = []
        self.bad: list[int] = [0]
        self.total: list[int] = [0]

    def add(self, start: float, counts: Counts) -> None:
        self.by_slice[start] = self.by_slice.get(start, Counts()) + counts
        self.dirty = True

    def set(self, start: float, counts: Counts) -> None:
        """Replace a slice's counts (a re-read of a slice that more flushes merged into)."""
        if self.by_slice.get(start) != counts:
            self.by_slice[start] = counts
            self.dirty = True

    def forget_before(self, start: float) -> None:
        """Drop slices that started at or before ``start`` (older than any window asked for)."""
        old = [s for s in self.by_slice if s <= start]
        for s in old:
            del self.by_slice[s]
        self.dirty = self.dirty or bool(old)

    def window(self, now: float, length: float) -> Counts:
        if self.dirty:
            self.starts = sorted(self.by_slice)
            self.bad, self.total = [0], [0]
            for start in self.starts:
                c = self.by_slice[start]
                self.bad.append(self.bad[-1] + c.bad)
                self.total.append(self.total[-1] + c.total)
            self.dirty = False
        lo, hi = bisect_right(self.starts, now - length), bisect_right(self.starts, now)
        return Counts(self.bad[hi] - self.bad[lo], self.total[hi] - self.total[lo])


class MemorySliceSource:
    """A ``SliceSource`` over drained recorder rows kept in memory (indexed per SLO as rows arrive)."""

    def __init__(self, rows: Iterable[SliceRow] = ()) -> None:
        self.rows: list[SliceRow] = list(rows)
        self._series: dict[str, dict[str, SliceSeries]] = {}
        self._seen: dict[str, int] = {}

    def add(self, rows: Iterable[SliceRow]) -> None:
        self.rows.extend(rows)

    def _index(self, slo: SLO) -> dict[str, SliceSeries]:
        series = self._series.setdefault(slo.slo_id, {"": SliceSeries()})
        for row in self.rows[self._seen.get(slo.slo_id, 0) :]:
            if not sli_matches(slo, row):
                continue
            counts = row_counts(slo, row)
            series[""].add(row.slice_start, counts)
            if slo.per_tenant and row.tenant:
                series.setdefault(row.tenant, SliceSeries()).add(row.slice_start, counts)
        self._seen[slo.slo_id] = len(self.rows)
        return series

    def window_counts(self, slo: SLO, now: float, windows_s: Sequence[float]) -> dict[str, dict[float, Counts]]:
        return {tenant: {w: s.window(now, w) for w in windows_s} for tenant, s in self._index(slo).items()}
