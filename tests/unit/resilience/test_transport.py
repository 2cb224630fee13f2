"""The httpx transport: the paved road behaves the same for httpx.Client and httpx.AsyncClient."""

from __future__ import annotations

import asyncio
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
    deadline,
)
from pavedroad.resilience.guard import THROUGH_PIPELINE
from pavedroad.testing import FakeClock, ScriptedTransport, Step

MODES = ["sync", "async"]


def pipeline(clock: FakeClock, **kwargs: Any) -> Pipeline:
    kwargs.setdefault("retry", Retry(max_attempts=3, base_delay_s=0.1))
    kwargs.setdefault("breaker", CircuitBreaker(size=10, minimum_calls=5, wait_open_s=10))
    return Pipeline("jobs", clock=clock, random=lambda: 0.5, classifier=HttpClassifier(), **kwargs)


def send(transport: httpx.BaseTransport, mode: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    if mode == "sync":
        with httpx.Client(transport=transport, base_url="http://jobs.test") as client:
            return client.request(method, "/v1/jobs", **kwargs)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://jobs.test") as client:  # type: ignore[arg-type]
            return await client.request(method, "/v1/jobs", **kwargs)

    return asyncio.run(go())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.mark.parametrize("mode", MODES)
def test_get_is_retried_on_503(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(503, 503, Step(200, json={"jobs": []}))
    response = send(ResilientTransport(pipeline(clock), scripted), mode)
    assert response.status_code == 200
    assert response.json() == {"jobs": []}
    assert scripted.calls == 3


@pytest.mark.parametrize("mode", MODES)
def test_post_is_not_retried(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(503, then=200)
    response = send(ResilientTransport(pipeline(clock), scripted), mode, "POST", json={"title": "x"})
    assert response.status_code == 503
    assert scripted.calls == 1


@pytest.mark.parametrize("mode", MODES)
def test_post_with_an_idempotency_key_is_retried(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(503, then=201)
    response = send(
        ResilientTransport(pipeline(clock), scripted), mode, "POST", json={"t": 1}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 201
    assert scripted.calls == 2
    assert scripted.requests[0].content == scripted.requests[1].content


@pytest.mark.parametrize("mode", MODES)
def test_connect_errors_are_retried_even_for_post(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(httpx.ConnectError, then=201)
    assert send(ResilientTransport(pipeline(clock), scripted), mode, "POST", json={}).status_code == 201


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_is_honoured(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(Step(429, headers={"Retry-After": "7"}), then=200)
    before = clock.monotonic()
    assert send(ResilientTransport(pipeline(clock), scripted), mode).status_code == 200
    assert clock.monotonic() - before == pytest.approx(7.0)


@pytest.mark.parametrize("mode", MODES)
def test_a_retry_after_past_the_deadline_ends_the_retries(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(Step(503, headers={"Retry-After": "120"}), then=200)
    assert send(ResilientTransport(pipeline(clock), scripted), mode).status_code == 503
    assert scripted.calls == 1


@pytest.mark.parametrize("mode", MODES)
def test_timeouts_are_clamped_to_the_deadline(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport(then=200)
    transport = ResilientTransport(pipeline(clock, attempt_timeout_s=4.0), scripted)
    send(transport, mode, timeout=httpx.Timeout(10.0, connect=1.0))
    with deadline(2.5, now=clock.monotonic):
        send(transport, mode)
    first, second = (r.extensions["timeout"] for r in scripted.requests)
    assert first == {"connect": 1.0, "read": 4.0, "write": 4.0, "pool": 4.0}
    assert second == {key: pytest.approx(2.5) for key in ("connect", "read", "write", "pool")}


@pytest.mark.parametrize("mode", MODES)
def test_slow_responses_time_out_and_count_against_the_breaker(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport.always(Step(200, latency_s=30.0), clock=clock)
    transport = ResilientTransport(pipeline(clock, attempt_timeout_s=1.0, retry=Retry(max_attempts=1)), scripted)
    for _ in range(5):
        with pytest.raises(httpx.ReadTimeout):
            send(transport, mode)
    assert transport.pipeline.mode is Mode.OPEN
    assert transport.pipeline.stats.calls["timeout"] == 5
    with pytest.raises(CircuitOpen):
        send(transport, mode)
    assert scripted.calls == 5


@pytest.mark.parametrize("mode", MODES)
def test_4xx_is_the_callers_problem_not_the_dependencys(mode: str, clock: FakeClock) -> None:
    scripted = ScriptedTransport.always(404)
    transport = ResilientTransport(pipeline(clock), scripted)
    for _ in range(10):
        assert send(transport, mode).status_code == 404
    assert transport.pipeline.mode is Mode.CLOSED
    assert scripted.calls == 10


@pytest.mark.parametrize("mode", MODES)
def test_inner_calls_are_marked_as_through_a_pipeline(mode: str, clock: FakeClock) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(THROUGH_PIPELINE.get())
        return httpx.Response(200)

    send(ResilientTransport(pipeline(clock), httpx.MockTransport(handler)), mode)
    assert seen == ["jobs"]
    assert THROUGH_PIPELINE.get() is None


def test_retried_responses_are_closed(clock: FakeClock) -> None:
    closed: list[bool] = []

    class Tracking(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b"busy"

        def close(self) -> None:
            closed.append(True)

    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503 if calls == 1 else 200, stream=Tracking())

    transport = ResilientTransport(pipeline(clock), httpx.MockTransport(handler))
    with httpx.Client(transport=transport) as client, client.stream("GET", "http://jobs.test/") as response:
        assert response.status_code == 200
        assert closed == [True]  # the 503 was closed before the retry
    assert closed == [True, True]


def test_one_way_inner_transports_say_which_client_to_use(clock: FakeClock) -> None:
    class SyncOnly(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

    transport = ResilientTransport(pipeline(clock), SyncOnly())
    with pytest.raises(TypeError, match="sync-only"):
        send(transport, "async")


async def test_an_async_attempt_that_overruns_as_a_whole_is_cancelled() -> None:
    """A server that trickles (never tripping httpx's per-read timeout) still meets the attempt deadline."""
    cancelled = []

    async def trickle(request: httpx.Request) -> httpx.Response:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return httpx.Response(200)

    pipeline = Pipeline("jobs", attempt_timeout_s=0.05, retry=Retry(max_attempts=1), classifier=HttpClassifier())
    async with httpx.AsyncClient(transport=ResilientTransport(pipeline, httpx.MockTransport(trickle))) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("http://jobs.test/")
    assert cancelled == [True]
    assert pipeline.stats.calls["timeout"] == 1
