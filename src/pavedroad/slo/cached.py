"""A ``SliceSource`` for the evaluator loop: backfill once, then re-read only the recent slices.

Guarantee: ``window_counts`` returns the same counts as ``PostgresSliceSource`` for slices that stopped
changing before the refresh horizon (``refresh_s``, default 15 minutes: flushers write within seconds,
and a flusher that was cut off from the database for longer than that would be missed). Each tick reads
``refresh_s`` of slices instead of the longest window (3 days at 10 s slices is ~26 000 slices per key),
so evaluation stays cheap however long the windows are; slices older than the longest window asked
for are forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pavedroad.slo.budget import Counts
from pavedroad.slo.memory import SliceSeries
from pavedroad.slo.spec import SLO
from pavedroad.slo.store import per_slice_query

__all__ = ["CachedSliceSource"]


class CachedSliceSource:
    """Per-SLO, per-tenant slice series kept in memory between evaluator ticks."""

    def __init__(self, connect: Any, *, refresh_s: float = 900.0) -> None:
        self._connect = connect
        self.refresh_s = refresh_s
        self._series: dict[str, dict[str, SliceSeries]] = {}
        self._loaded_from: dict[str, float] = {}

    def window_counts(self, slo: SLO, now: float, windows_s: Sequence[float]) -> dict[str, dict[float, Counts]]:
        longest = max(windows_s)
        series = self._series.setdefault(slo.slo_id, {"": SliceSeries()})
        loaded = self._loaded_from.get(slo.slo_id)
        since = now - longest if loaded is None or loaded > now - longest else now - self.refresh_s
        with self._connect() as conn:
            rows = conn.execute(*per_slice_query(slo, since, now)).fetchall()
        self._loaded_from[slo.slo_id] = min(loaded, now - longest) if loaded is not None else now - longest
        for start, tenant, bad, total in rows:
            key = "" if tenant is None else str(tenant)
            if tenant is not None and not key:
                continue
            series.setdefault(key, SliceSeries()).set(float(start), Counts(int(bad), int(total)))
        for s in series.values():
            s.forget_before(now - longest)
        return {tenant: {w: s.window(now, w) for w in windows_s} for tenant, s in series.items()}
