"""Backoff, Retry-After and the classification table."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from pavedroad.resilience import ExceptionClassifier, HttpClassifier, Retry
from pavedroad.resilience.retry import is_idempotent, parse_retry_after


def test_full_jitter_stays_within_the_exponential_cap() -> None:
    retry = Retry(base_delay_s=0.1, max_delay_s=1.0, multiplier=2.0)
    assert [retry.delay(n, random=lambda: 1.0) for n in range(1, 6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0])
    assert retry.delay(3, random=lambda: 0.0) == 0.0


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("7", 0.0) == 7.0
    when = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after(when, 1_000_000.0) == pytest.approx(30.0)
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after(None, 0.0) is None


@pytest.mark.parametrize(
    ("status", "idempotent", "failed", "retryable"),
    [
        (200, True, False, False),
        (404, True, False, False),
        (429, True, True, True),
        (500, True, True, True),
        (501, True, True, False),
        (503, False, True, False),
        (504, True, True, True),
    ],
)
def test_http_status_table(status: int, idempotent: bool, failed: bool, retryable: bool) -> None:
    verdict = HttpClassifier().response(status, {}, idempotent, 0.0)
    assert (verdict.failed, verdict.retryable) == (failed, retryable)


def test_retry_after_is_read_from_retryable_responses() -> None:
    verdict = HttpClassifier().response(503, {"retry-after": "3"}, True, 0.0)
    assert verdict.retry_after_s == 3.0


def test_errors_before_sending_are_retried_for_any_method() -> None:
    request = httpx.Request("POST", "http://x/")
    classify = HttpClassifier().exception
    assert classify(httpx.ConnectError("refused", request=request), False).retryable
    assert not classify(httpx.ReadTimeout("slow", request=request), False).retryable
    assert classify(httpx.ReadTimeout("slow", request=request), True).retryable
    assert classify(httpx.ReadTimeout("slow", request=request), True).outcome == "timeout"


def test_plain_callables_retry_only_listed_errors() -> None:
    classify = ExceptionClassifier(retry_on=(ConnectionResetError,)).exception
    assert classify(ConnectionResetError(), True).retryable
    assert not classify(ValueError(), True).retryable
    assert classify(ValueError(), True).failed


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [("GET", {}, True), ("PUT", {}, True), ("POST", {}, False), ("POST", {"idempotency-key": "k"}, True)],
)
def test_idempotency(method: str, headers: dict[str, str], expected: bool) -> None:
    assert is_idempotent(method, httpx.Headers(headers)) is expected
