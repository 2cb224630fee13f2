"""Resilient outbound calls: one pipeline per dependency, and guardrails so that no call bypasses it.

    import httpx
    from pavedroad import resilience

    client = resilience.async_client("calendar", base_url="https://calendar.example")   # the paved road
    # same thing, spelled out: httpx.AsyncClient(transport=resilience.transport("calendar"))

    with resilience.deadline(2.0):              # bounds every call beneath, across awaits and pipelines
        response = await client.get("https://calendar.example/v1/slots")

A pipeline is deadline → bulkhead → retry (full-jitter backoff, ``Retry-After``, idempotent calls only)
with a retry budget → circuit breaker (count/time window, failure and slow-call rates, half-open probes)
→ per-attempt timeout, plus an optional rate limit and (async) hedging. Each policy is a value whose
transitions are pure functions with an injected clock (``CircuitBreaker.on_result(state, now, outcome)
-> state``); the ``Pipeline`` drives them for threads and asyncio alike, holding its lock only around those transitions.

Refusals are ``pavedroad.errors.Unavailable`` (503): ``CircuitOpen``, ``BulkheadFull``,
``DeadlineExceeded``, ``RetryBudgetExhausted``, ``RateLimited``. Observability: Prometheus families
``pavedroad_outbound_*``, structlog events ``resilience.*``, and ``add_listener(fn(dependency, outcome,
latency_s))``. Guardrails: ruff's banned-api table, the ``socket.connect`` audit hook
(``egress_guard``/``install_egress_guard``) and ``pavedroad guard egress`` (``scan_egress``).
"""

from pavedroad.resilience.breaker import BreakerState, CircuitBreaker, Mode, Outcome
from pavedroad.resilience.budget import BudgetState, RetryBudget
from pavedroad.resilience.bulkhead import Admission, Bulkhead
from pavedroad.resilience.config import (
    BreakerSettings,
    BudgetSettings,
    BulkheadSettings,
    DependencySettings,
    HedgingSettings,
    RateLimitSettings,
    ResilienceConfig,
    RetrySettings,
    load_config,
)
from pavedroad.resilience.deadline import current_deadline, deadline, remaining
from pavedroad.resilience.egress import CallSite, scan_egress
from pavedroad.resilience.egress import render_table as render_egress_table
from pavedroad.resilience.errors import (
    BulkheadFull,
    CircuitOpen,
    DeadlineExceeded,
    EgressBlocked,
    RateLimited,
    ResilienceRefusal,
    RetryBudgetExhausted,
)
from pavedroad.resilience.guard import configure_guard_from_env, egress_guard, install_egress_guard
from pavedroad.resilience.hedging import Hedging
from pavedroad.resilience.metrics import ResilienceCollector, register_metrics
from pavedroad.resilience.observe import OUTCOMES, add_listener, remove_listener
from pavedroad.resilience.pipeline import Pipeline
from pavedroad.resilience.ratelimit import LimiterState, RateLimit
from pavedroad.resilience.registry import (
    async_client,
    build_pipeline,
    client,
    configure,
    current_config,
    pipeline,
    pipelines,
    transport,
)
from pavedroad.resilience.retry import ExceptionClassifier, HttpClassifier, Retry, Verdict
from pavedroad.resilience.transport import ResilientTransport
from pavedroad.resilience.windows import CountWindow, TimeWindow

__all__ = [
    "OUTCOMES",
    "Admission",
    "BreakerSettings",
    "BreakerState",
    "BudgetSettings",
    "BudgetState",
    "Bulkhead",
    "BulkheadFull",
    "BulkheadSettings",
    "CallSite",
    "CircuitBreaker",
    "CircuitOpen",
    "CountWindow",
    "DeadlineExceeded",
    "DependencySettings",
    "EgressBlocked",
    "ExceptionClassifier",
    "Hedging",
    "HedgingSettings",
    "HttpClassifier",
    "LimiterState",
    "Mode",
    "Outcome",
    "Pipeline",
    "RateLimit",
    "RateLimitSettings",
    "RateLimited",
    "ResilienceCollector",
    "ResilienceConfig",
    "ResilienceRefusal",
    "ResilientTransport",
    "Retry",
    "RetryBudget",
    "RetryBudgetExhausted",
    "RetrySettings",
    "TimeWindow",
    "Verdict",
    "add_listener",
    "async_client",
    "build_pipeline",
    "client",
    "configure",
    "configure_guard_from_env",
    "current_config",
    "current_deadline",
    "deadline",
    "egress_guard",
    "install_egress_guard",
    "load_config",
    "pipeline",
    "pipelines",
    "register_metrics",
    "remaining",
    "remove_listener",
    "render_egress_table",
    "scan_egress",
    "transport",
]
