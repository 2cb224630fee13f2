"""Metrics in Prometheus' exposition format and a structured log event on every breaker transition."""

from __future__ import annotations

import pytest
import structlog
from prometheus_client import CollectorRegistry, generate_latest

from pavedroad.resilience import CircuitBreaker, CircuitOpen, Pipeline, ResilienceCollector, register_metrics
from pavedroad.testing import FakeClock


def failing() -> None:
    raise RuntimeError("down")


@pytest.fixture
def tripped() -> Pipeline:
    pipeline = Pipeline("calendar", clock=FakeClock(), breaker=CircuitBreaker(size=4, minimum_calls=4))
    pipeline.call(lambda: "ok")
    for _ in range(3):  # 3 failures of 4 calls: at the 50% threshold
        with pytest.raises(RuntimeError):
            pipeline.call(failing)
    with pytest.raises(CircuitOpen):
        pipeline.call(failing)
    return pipeline


def test_metrics_exposition(tripped: Pipeline) -> None:
    registry = CollectorRegistry()
    registry.register(ResilienceCollector(lambda: [tripped]))
    text = generate_latest(registry).decode()
    assert 'pavedroad_outbound_calls_total{dependency="calendar",outcome="success"} 1.0' in text
    assert 'pavedroad_outbound_calls_total{dependency="calendar",outcome="failure"} 3.0' in text
    assert 'pavedroad_outbound_calls_total{dependency="calendar",outcome="circuit_open"} 1.0' in text
    assert 'pavedroad_outbound_attempts_total{dependency="calendar"} 4.0' in text
    assert 'pavedroad_outbound_breaker_state{dependency="calendar",state="open"} 1.0' in text
    assert 'pavedroad_outbound_breaker_state{dependency="calendar",state="closed"} 0.0' in text
    assert (
        'pavedroad_outbound_breaker_transitions_total{dependency="calendar",from_state="closed",to_state="open"} 1.0'
        in text
    )
    assert 'pavedroad_outbound_call_duration_seconds_count{dependency="calendar"} 5.0' in text
    assert 'pavedroad_outbound_in_flight{dependency="calendar"} 0.0' in text


def test_register_metrics_is_idempotent_per_registry(tripped: Pipeline) -> None:
    registry = CollectorRegistry()
    assert register_metrics(lambda: [tripped], registry) is not None
    assert register_metrics(lambda: [tripped], registry) is None


def test_every_transition_is_logged() -> None:
    clock = FakeClock()
    pipeline = Pipeline("calendar", clock=clock, breaker=CircuitBreaker(size=2, minimum_calls=2, half_open_probes=1))
    with structlog.testing.capture_logs() as logs:
        for _ in range(2):
            with pytest.raises(RuntimeError):
                pipeline.call(failing)
        clock.advance(60)
        pipeline.call(lambda: "ok")
        pipeline.force_open()
    moves = [(e["from_state"], e["to_state"]) for e in logs if e["event"] == "resilience.breaker.transition"]
    assert moves == [("closed", "open"), ("open", "half_open"), ("half_open", "closed"), ("closed", "forced_open")]
    assert all(e["dependency"] == "calendar" for e in logs if e["event"] == "resilience.breaker.transition")
