"""The SLO block's extension points: one-method protocols, injected into the evaluator.

* ``SliceSource`` — bad/total event counts of an SLO over trailing windows, for the whole service
  (tenant ``""``) and, for per-tenant SLOs, per tenant. ``PostgresSliceSource`` reads the merged
  slices; ``MemorySliceSource`` reads drained recorder rows (tests, single-process use).
* ``AlertSink`` — where alert state changes go (the events block's outbox once it lands; a log, a
  pager webhook). Any ``callable(event)`` works as ``on_alert`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pavedroad.slo.alerts import AlertEvent
from pavedroad.slo.budget import Counts
from pavedroad.slo.spec import SLO

__all__ = ["AlertSink", "SliceSource"]


@runtime_checkable
class SliceSource(Protocol):
    """``{tenant: {window seconds: Counts}}`` for windows ending at ``now`` (tenant "" = all traffic)."""

    def window_counts(self, slo: SLO, now: float, windows_s: Sequence[float]) -> dict[str, dict[float, Counts]]: ...


@runtime_checkable
class AlertSink(Protocol):
    """Receive one alert state change."""

    def emit(self, event: AlertEvent) -> None: ...
