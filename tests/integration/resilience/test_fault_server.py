"""A job-board client rides through a real misbehaving server on loopback.

The breaker's clock is a FakeClock (waits and backoffs are instant, nothing sleeps); the network is
real. Calls that an open breaker refuses are proven not to reach the server by counting its hits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pavedroad.resilience import (
    CircuitBreaker,
    CircuitOpen,
    HttpClassifier,
    Mode,
    Pipeline,
    ResilientTransport,
    Retry,
    RetryBudget,
)
from pavedroad.testing import FakeClock, FaultServer

from .jobboard import AsyncJobBoardClient, JobBoardClient


class Counting(httpx.BaseTransport):
    """httpx's real transport, counting the requests handed to it (a down server cannot count them)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def make_pipeline(clock: FakeClock, **kwargs: Any) -> Pipeline:
    kwargs.setdefault("breaker", CircuitBreaker(size=10, minimum_calls=5, wait_open_s=30, half_open_probes=2))
    kwargs.setdefault("retry", Retry(max_attempts=3, base_delay_s=0.05))
    kwargs.setdefault("attempt_timeout_s", 2.0)
    return Pipeline("jobboard", clock=clock, classifier=HttpClassifier(), **kwargs)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def trip(client: JobBoardClient, errors: tuple[type[BaseException], ...]) -> int:
    """Call until the breaker refuses; returns how many calls failed first."""
    for failed in range(100):
        try:
            client.list_jobs()
        except CircuitOpen:
            return failed
        except errors:
            continue
    raise AssertionError("the breaker never opened")


def test_5xx_opens_the_breaker_then_it_fails_fast_and_recovers(
    server: FaultServer, clock: FakeClock, egress_guard: None
) -> None:
    pipeline = make_pipeline(clock)
    client = JobBoardClient(server.url, ResilientTransport(pipeline))
    try:
        assert client.list_jobs()["status"] == 200
        server.error(503)
        assert trip(client, (httpx.HTTPStatusError,)) >= 1
        assert pipeline.mode is Mode.OPEN
        hits = server.hits
        for _ in range(25):
            with pytest.raises(CircuitOpen):
                client.list_jobs()
        assert server.hits == hits, "an open breaker contacted the server"
        server.ok()
        clock.advance(30)
        for _ in range(2):  # the half-open probes
            assert client.list_jobs()["status"] == 200
        assert pipeline.mode is Mode.CLOSED  # type: ignore[comparison-overlap]  # mypy keeps the narrowing across the calls
        assert client.list_jobs()["status"] == 200
        assert server.hits == hits + 3
    finally:
        client.close()


def test_a_server_that_goes_away(server: FaultServer, clock: FakeClock, egress_guard: None) -> None:
    counting = Counting()
    pipeline = make_pipeline(clock)
    client = JobBoardClient(server.url, ResilientTransport(pipeline, counting))
    try:
        server.down()
        trip(client, (httpx.ConnectError,))
        attempts = counting.calls
        for _ in range(10):
            with pytest.raises(CircuitOpen):
                client.list_jobs()
        assert counting.calls == attempts, "an open breaker tried to connect"
        server.up()
        clock.advance(30)
        assert client.list_jobs()["status"] == 200
    finally:
        client.close()


def test_a_slow_server_times_out_and_opens_the_breaker(server: FaultServer, clock: FakeClock) -> None:
    pipeline = make_pipeline(
        clock,
        attempt_timeout_s=0.1,
        retry=Retry(max_attempts=1),
        breaker=CircuitBreaker(size=3, minimum_calls=3, wait_open_s=30),
    )
    client = JobBoardClient(server.url, ResilientTransport(pipeline))
    try:
        server.slow(5.0)
        assert trip(client, (httpx.ReadTimeout,)) == 3
        assert pipeline.stats.calls["timeout"] == 3
    finally:
        client.close()


def test_reset_connections_are_retried_only_when_safe(server: FaultServer, clock: FakeClock) -> None:
    pipeline = make_pipeline(clock, breaker=None)
    client = JobBoardClient(server.url, ResilientTransport(pipeline))
    try:
        server.reset()
        with pytest.raises(httpx.TransportError):
            client.list_jobs()
        assert server.hits == 3  # GET: every attempt
        with pytest.raises(httpx.TransportError):
            client.publish({"title": "Engineer"})
        assert server.hits == 4  # POST without a key: once
        with pytest.raises(httpx.TransportError):
            client.publish({"title": "Engineer"}, idempotency_key="job-1")
        assert server.hits == 7
    finally:
        client.close()


def test_retry_after_from_the_server_is_honoured(server: FaultServer, clock: FakeClock) -> None:
    pipeline = make_pipeline(clock, breaker=None, retry=Retry(max_attempts=2))
    client = JobBoardClient(server.url, ResilientTransport(pipeline))
    try:
        server.error(503, retry_after="4")
        before = clock.monotonic()
        with pytest.raises(httpx.HTTPStatusError):
            client.list_jobs()
        assert server.hits == 2
        assert clock.monotonic() - before >= 4.0
    finally:
        client.close()


@pytest.mark.parametrize("breaker", [True, False], ids=["full-pipeline", "budget-only"])
def test_retry_amplification_under_a_total_outage(server: FaultServer, clock: FakeClock, breaker: bool) -> None:
    """Every call fails; the requests the server sees stay within 1.2x the calls made."""
    calls = 200
    pipeline = make_pipeline(
        clock,
        retry=Retry(max_attempts=5, base_delay_s=0.01),
        budget=RetryBudget(ratio=0.1, min_per_second=1.0, max_tokens=10),
        **({} if breaker else {"breaker": None}),
    )
    client = JobBoardClient(server.url, ResilientTransport(pipeline))
    server.error(503)
    try:
        for _ in range(calls):
            with contextlib.suppress(httpx.HTTPStatusError, CircuitOpen):
                client.list_jobs()
    finally:
        client.close()
    assert server.hits <= 1.2 * calls
    if breaker:
        assert server.hits < calls  # the breaker shed most of the burst
    else:
        assert pipeline.stats.budget_exhausted > 0


async def test_the_async_client_rides_the_same_road(server: FaultServer, clock: FakeClock, egress_guard: None) -> None:
    pipeline = make_pipeline(clock)
    client = AsyncJobBoardClient(server.url, ResilientTransport(pipeline))
    try:
        assert (await client.list_jobs())["status"] == 200
        server.error(500)
        for _ in range(20):
            try:
                await client.list_jobs()
            except httpx.HTTPStatusError:
                continue
            except CircuitOpen:
                break
        assert pipeline.mode is Mode.OPEN
        hits = server.hits
        with pytest.raises(CircuitOpen):
            await client.list_jobs()
        assert server.hits == hits
        server.ok()
        clock.advance(30)
        assert (await client.list_jobs())["status"] == 200
    finally:
        await client.aclose()
