"""Burn-rate alerts on synthetic traffic with a fake clock: outages page fast, slow burns ticket,
low traffic stays quiet, recoveries resolve."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pavedroad.slo import SLO, AlertEvent, Evaluator, MemorySliceSource, Recorder, parse_specs, run_evaluator
from pavedroad.testing import FakeClock


def _slo(objective: float = 99.9, min_events: int = 100, windows: str = "workbook", per_tenant: bool = False) -> SLO:
    doc = {
        "version": "prometheus/v1",
        "service": "svc",
        "slos": [
            {
                "name": "avail",
                "objective": objective,
                "sli": {
                    "plugin": {
                        "id": "pavedroad/availability",
                        "options": {
                            "min_events": str(min_events),
                            "windows": windows,
                            "per_tenant": str(per_tenant).lower(),
                        },
                    }
                },
                "alerting": {"name": "SvcAvail"},
            }
        ],
    }
    return parse_specs([doc])[0]


class Sim:
    """Traffic into a recorder on a fake clock; the evaluator reads the drained slices."""

    def __init__(self, slo: SLO, slice_seconds: int = 10) -> None:
        self.clock = FakeClock(start=1_700_000_000.0)
        self.recorder = Recorder("svc", "v1", slice_seconds=slice_seconds, time_source=self.clock.time)
        self.source = MemorySliceSource()
        self.events: list[AlertEvent] = []
        self.evaluator = Evaluator([slo], self.source, clock=self.clock, on_alert=self.events.append)
        self.sent = 0

    def run(
        self, seconds: float, rps: float, is_bad: Callable[[int], bool], *, step: float = 10.0, tenant: str = ""
    ) -> None:
        """Send traffic for ``seconds`` and evaluate after every ``step``."""
        t = 0.0
        while t < seconds:
            for _ in range(round(rps * step)):
                self.sent += 1
                self.recorder.record_http("/x", "GET", 503 if is_bad(self.sent) else 200, 0.01, tenant=tenant)
            self.clock.advance(step)
            t += step
            self.source.add(self.recorder.drain())
            self.evaluator.tick()

    def first(self, severity: str, status: str = "firing") -> AlertEvent | None:
        return next((e for e in self.events if e.severity == severity and e.status == status), None)


def test_a_full_outage_at_99_9_pages_within_about_a_minute() -> None:
    sim = Sim(_slo())
    sim.run(2 * 3600, rps=2, is_bad=lambda n: False)
    assert sim.events == []
    outage_start = sim.clock.time()
    sim.run(300, rps=2, is_bad=lambda n: True)
    page = sim.first("page")
    assert page is not None
    assert page.at - outage_start <= 90, f"paged after {page.at - outage_start:.0f}s"
    assert page.tenant == ""
    # both page pairs burn beyond their thresholds within minutes (6x needs 6h of history to dilute)
    assert max(v or 0 for v in page.burn_rates.values()) > 6
    assert ("svc-avail", "page", "") in sim.evaluator.firing


def test_a_recovery_resolves_the_page_once() -> None:
    sim = Sim(_slo())
    sim.run(3600, rps=2, is_bad=lambda n: False)
    sim.run(600, rps=2, is_bad=lambda n: True)
    sim.run(2 * 3600, rps=2, is_bad=lambda n: False)
    pages = [e.status for e in sim.events if e.severity == "page"]
    assert pages == ["firing", "resolved"]


def test_a_slow_2x_burn_tickets_but_never_pages() -> None:
    """0.2% errors against a 0.1% budget: the 1x/3d ticket pair fires, no page pair can."""
    sim = Sim(_slo(), slice_seconds=60)
    sim.run(8 * 3600, rps=1000 / 60, is_bad=lambda n: n % 500 == 0, step=600)
    assert sim.first("ticket") is not None
    assert sim.first("page") is None


def test_low_traffic_under_the_guard_stays_quiet() -> None:
    """20 requests an hour with one failure is a 5% error ratio (50x burn) but not evidence: no alert."""
    guarded = Sim(_slo(min_events=100))
    guarded.run(3 * 3600, rps=20 / 3600, is_bad=lambda n: n % 20 == 0, step=180)
    assert guarded.events == []
    reasons = {p.reason for e in guarded.evaluator.last.values() for p in e.pairs}
    assert "low_traffic" in reasons
    unguarded = Sim(_slo(min_events=0))
    unguarded.run(3 * 3600, rps=20 / 3600, is_bad=lambda n: n % 20 == 0, step=180)
    assert unguarded.first("page") is not None  # the guard is what kept the first one quiet


def test_per_tenant_alerts_name_the_tenant_and_leave_others_quiet() -> None:
    sim = Sim(_slo(per_tenant=True))
    sim.run(3600, rps=2, is_bad=lambda n: False, tenant="acme")
    sim.run(3600, rps=2, is_bad=lambda n: False, tenant="globex")
    sim.run(600, rps=1, is_bad=lambda n: True, tenant="acme")
    tenants = {e.tenant for e in sim.events if e.status == "firing" and e.severity == "page"}
    assert "acme" in tenants
    assert "globex" not in tenants


def test_pyrra_windows_wait_for_their_for_duration() -> None:
    """Pyrra's page pair waits 2 minutes of breach before firing."""
    sim = Sim(_slo(windows="pyrra"))
    sim.run(3600, rps=2, is_bad=lambda n: False)
    start = sim.clock.time()
    sim.run(600, rps=2, is_bad=lambda n: True)
    page = sim.first("page")
    assert page is not None
    assert page.at - start >= 120


def test_run_evaluator_sleeps_through_the_clock_and_survives_a_broken_callback() -> None:
    clock = FakeClock()
    calls: list[float] = []

    class Source:
        def window_counts(self, slo: SLO, now: float, windows_s: list[float]) -> dict[str, dict[float, object]]:
            calls.append(now)
            raise RuntimeError("database down")

    evaluator = Evaluator([_slo()], Source(), clock=clock)  # type: ignore[arg-type]
    run_evaluator(evaluator, interval_s=30, iterations=3)
    assert calls == pytest.approx([clock.time() - 60, clock.time() - 30, clock.time()])
