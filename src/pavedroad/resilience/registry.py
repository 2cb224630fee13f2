"""The process's pipelines, one per dependency, built from the validated configuration on first use.

``client(name, ...)`` / ``async_client(name, ...)`` are the paved road: httpx clients whose transport is
``transport(name)``, a ``ResilientTransport`` over ``pipeline(name)``, so every client of the same
dependency shares one breaker, one bulkhead and one retry budget. (ruff's banned-api table forbids
building ``httpx.Client``/``AsyncClient`` directly outside this package.)
``configure(config)`` replaces the configuration (call it at start; pipelines built before keep theirs).
The first pipeline registers the Prometheus collector on the default registry.

    >>> import httpx
    >>> from pavedroad import resilience
    >>> calendar = resilience.client("calendar", base_url="https://calendar.example")
    >>> calendar.close()
    >>> resilience.pipeline("calendar").mode
    <Mode.CLOSED: 'closed'>
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx

from pavedroad.resilience.breaker import CircuitBreaker
from pavedroad.resilience.budget import RetryBudget
from pavedroad.resilience.bulkhead import Bulkhead
from pavedroad.resilience.config import DependencySettings, ResilienceConfig, load_config
from pavedroad.resilience.hedging import Hedging
from pavedroad.resilience.metrics import register_metrics
from pavedroad.resilience.pipeline import Pipeline
from pavedroad.resilience.ratelimit import RateLimit
from pavedroad.resilience.retry import HttpClassifier, Retry
from pavedroad.resilience.transport import ResilientTransport

__all__ = [
    "async_client",
    "build_pipeline",
    "client",
    "configure",
    "current_config",
    "pipeline",
    "pipelines",
    "transport",
]

_lock = threading.Lock()
_pipelines: dict[str, Pipeline] = {}
_config: list[ResilienceConfig] = []


def build_pipeline(name: str, settings: DependencySettings, *, clock: Any = None, **overrides: Any) -> Pipeline:
    """A new pipeline for ``name`` from validated settings (``clock`` injects time, e.g. a ``FakeClock``)."""
    retry = settings.retry
    kwargs: dict[str, Any] = {
        "deadline_s": settings.deadline_s,
        "attempt_timeout_s": settings.attempt_timeout_s,
        "bulkhead": Bulkhead(**settings.bulkhead.model_dump()) if settings.bulkhead else None,
        "retry": Retry(
            max_attempts=retry.max_attempts,
            base_delay_s=retry.base_delay_s,
            max_delay_s=retry.max_delay_s,
            multiplier=retry.multiplier,
            max_retry_after_s=retry.max_retry_after_s,
        ),
        "budget": RetryBudget(**settings.budget.model_dump()) if settings.budget else None,
        "breaker": CircuitBreaker(**settings.breaker.model_dump()) if settings.breaker else None,
        "rate_limit": RateLimit(**settings.rate_limit.model_dump()) if settings.rate_limit else None,
        "hedging": Hedging(**settings.hedging.model_dump()) if settings.hedging else None,
        "classifier": HttpClassifier(retry.failure_statuses, retry.retry_statuses),
        "clock": clock,
    }
    kwargs.update(overrides)
    return Pipeline(name, **kwargs)


def current_config() -> ResilienceConfig:
    """The configuration in force (loaded from ``PAVEDROAD_RESILIENCE_FILE`` on first use)."""
    if not _config:
        with _lock:
            if not _config:
                _config.append(load_config())
    return _config[0]


def configure(config: ResilienceConfig | dict[str, Any] | str | Path | None = None) -> ResilienceConfig:
    """Replace the configuration: a model, a dict, a YAML path, or None for the file/defaults again."""
    if isinstance(config, ResilienceConfig):
        resolved = config
    elif isinstance(config, dict):
        resolved = ResilienceConfig.parse(config)
    else:
        resolved = load_config(config)
    with _lock:
        _config[:] = [resolved]
        _pipelines.clear()
    return resolved


def pipeline(name: str) -> Pipeline:
    """The shared pipeline of dependency ``name`` (built from the configuration on first use)."""
    found = _pipelines.get(name)
    if found is not None:
        return found
    settings = current_config().for_dependency(name)
    with _lock:
        found = _pipelines.get(name)
        if found is None:
            found = _pipelines[name] = build_pipeline(name, settings)
    register_metrics(lambda: list(_pipelines.values()))
    return found


def pipelines() -> dict[str, Pipeline]:
    """A snapshot of the pipelines built so far, by dependency."""
    return dict(_pipelines)


def transport(name: str, *, inner: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None) -> ResilientTransport:
    """An httpx transport (sync and async) that sends every request through ``pipeline(name)``.

    ``inner`` is the transport that does the I/O (default: httpx's own); tests pass a ``MockTransport``
    or ``pavedroad.testing.ScriptedTransport``.
    """
    return ResilientTransport(pipeline(name), inner)


def client(dependency: str, *, inner: httpx.BaseTransport | None = None, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` for ``dependency`` whose every request goes through its pipeline.

    ``kwargs`` are httpx's (``base_url``, ``headers``, ``auth``, ``timeout``…); the transport is ours.
    """
    _no_transport(kwargs)
    return httpx.Client(transport=transport(dependency, inner=inner), **kwargs)


def async_client(dependency: str, *, inner: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` twin of ``client``."""
    _no_transport(kwargs)
    return httpx.AsyncClient(transport=transport(dependency, inner=inner), **kwargs)


def _no_transport(kwargs: dict[str, Any]) -> None:
    for key in ("transport", "mounts", "proxy"):
        if key in kwargs:
            raise TypeError(f"{key}= would bypass the pipeline; pass inner=<transport> to replace the I/O layer")
