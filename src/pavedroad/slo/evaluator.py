"""The alert evaluator a worker process runs: read window counts, evaluate, emit state changes.

Guarantees: each ``tick`` evaluates every SLO that has a recorder SLI (for the service, and per tenant
when the SLO asks) at the injected clock's ``time()``; each alert change is emitted once, as an
``AlertEvent`` to ``on_alert`` and as a structlog line (``slo alert firing`` / ``slo alert resolved``).
A failing source or callback is logged and does not stop the loop. ``run`` sleeps through the clock,
so a ``FakeClock`` drives it without real waiting.

    evaluator = Evaluator(load_specs("slos.yaml"), CachedSliceSource(pool.connection),
                          clock=SystemClock(), on_alert=print)
    run_evaluator(evaluator, interval_s=30)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog

from pavedroad.clock import Clock
from pavedroad.slo.alerts import AlertEvent, AlertKey, AlertStatus, Evaluation, evaluate, transition
from pavedroad.slo.ports import SliceSource
from pavedroad.slo.spec import SLO
from pavedroad.slo.windows import resolve_windows

__all__ = ["Evaluator", "run_evaluator"]

_log = structlog.get_logger("pavedroad.slo")


class Evaluator:
    """Holds the alert state between ticks; everything else is pure (``evaluate``, ``transition``)."""

    def __init__(
        self,
        slos: Sequence[SLO],
        source: SliceSource,
        *,
        clock: Clock,
        on_alert: Callable[[AlertEvent], Any] | None = None,
    ) -> None:
        self.slos = [s for s in slos if s.sli is not None and s.alerting.enabled]
        self.source = source
        self.clock = clock
        self.on_alert = on_alert
        self.state: dict[AlertKey, AlertStatus] = {}
        self.last: dict[tuple[str, str], Evaluation] = {}

    def tick(self) -> list[AlertEvent]:
        """Evaluate every SLO once; return (and emit) the alert changes."""
        now = self.clock.time()
        emitted: list[AlertEvent] = []
        for slo in self.slos:
            windows = resolve_windows(slo.alerting.windows, slo.period_s)
            durations = sorted({w.short_s for w in windows} | {w.long_s for w in windows})
            try:
                per_tenant = self.source.window_counts(slo, now, durations)
            except Exception as exc:  # noqa: BLE001 - one SLO's broken source must not stop the others
                _log.warning("slo evaluation failed", slo=slo.slo_id, error=str(exc)[:200])
                continue
            for tenant, counts in per_tenant.items():
                evaluation = evaluate(slo, counts, at=now, tenant=tenant, windows=windows)
                self.last[(slo.slo_id, tenant)] = evaluation
                self.state, events = transition(self.state, evaluation)
                emitted.extend(events)
        for event in emitted:
            _log.warning(
                f"slo alert {event.status}",
                slo=event.slo_id,
                severity=event.severity,
                tenant=event.tenant or None,
                burn_rates=event.burn_rates,
            )
            if self.on_alert is not None:
                try:
                    self.on_alert(event)
                except Exception as exc:  # noqa: BLE001 - a broken sink must not stop evaluation
                    _log.error("slo alert callback failed", error=str(exc)[:200])
        return emitted

    @property
    def firing(self) -> list[AlertKey]:
        """Alerts firing now."""
        return sorted(k for k, v in self.state.items() if v.firing_since is not None)


def run_evaluator(
    evaluator: Evaluator,
    *,
    interval_s: float = 30.0,
    iterations: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Tick every ``interval_s`` (sleeping through the evaluator's clock) until stopped."""
    sleep = getattr(evaluator.clock, "sleep", None)
    if sleep is None:
        raise TypeError("the evaluator's clock needs a sleep(seconds) method (SystemClock, FakeClock)")
    done = 0
    while not should_stop():
        evaluator.tick()
        done += 1
        if iterations is not None and done >= iterations:
            return
        sleep(interval_s)
