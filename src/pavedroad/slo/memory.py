"""Which slices an SLI counts, and how: shared by the in-memory source and the report code.

Guarantees: a row belongs to an SLO when service, source kind, route and method match (``None`` in the
SLI matches anything); availability counts the row's bad events (5xx, or a bad dependency outcome);
latency counts as bad every sample above the threshold, read from the row's sketch (the bin holding
the threshold counts as under it, so the line is drawn within 2% of the threshold). A window ending at
``now`` of length ``W`` holds the slices that start in ``(now - W, now]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pavedroad.slo.budget import Counts
from pavedroad.slo.recorder import SliceRow
from pavedroad.slo.spec import SLO

__all__ = ["MemorySliceSource", "row_counts", "sli_matches"]


def sli_matches(slo: SLO, row: SliceRow) -> bool:
    """Does ``row`` belong to ``slo``'s SLI?"""
    sli = slo.sli
    if sli is None or row.service != slo.service or row.kind != sli.source:
        return False
    if sli.route is not None and row.route != sli.route:
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


class MemorySliceSource:
    """A ``SliceSource`` over drained recorder rows kept in memory."""

    def __init__(self, rows: Iterable[SliceRow] = ()) -> None:
        self.rows: list[SliceRow] = list(rows)

    def add(self, rows: Iterable[SliceRow]) -> None:
        self.rows.extend(rows)

    def window_counts(self, slo: SLO, now: float, windows_s: Sequence[float]) -> dict[str, dict[float, Counts]]:
        out: dict[str, dict[float, Counts]] = {"": {w: Counts() for w in windows_s}}
        for row in self.rows:
            if row.slice_start > now or not sli_matches(slo, row):
                continue
            counts = row_counts(slo, row)
            age = now - row.slice_start
            tenants = [""] + ([row.tenant] if slo.per_tenant and row.tenant else [])
            for tenant in tenants:
                per = out.setdefault(tenant, {w: Counts() for w in windows_s})
                for w in windows_s:
                    if age < w:
                        per[w] = per[w] + counts
        return out
