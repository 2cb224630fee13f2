# ruff: noqa: RUF002, RUF003 - the statistics read in their usual notation (ρ, γ, ×, −)
"""Canary versus baseline: every metric's always-valid test, corrected for the number of metrics.

Guarantee: with identical cohorts, the probability that *any* relative test ever alarms over the
whole rollout, however many checks are made, is at most ``policy.alpha`` (Ville's inequality per test,
Bonferroni across the error-rate test and one test per latency quantile). The absolute guards (the
canary's own SLO burn rate, per tenant too) are one-sample sequential tests with their own budget
``policy.guard_alpha``. Harm is only ever flagged in one direction: canary worse.

``relative_tests`` is vectorised over leading axes (the simulator runs thousands of rollouts through
the very same code); ``analyse`` is the one-rollout entry point the controller calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pavedroad.canary.latency import BucketScheme, dense_histograms, exceedance_counts, quantile_from_counts
from pavedroad.canary.model import CohortCounts, MetricResult, Policy, SlicePair
from pavedroad.canary.sequential import DEFAULT_HARM_RATIOS, CountTest, count_test, rate_above_test

__all__ = ["CohortArrays", "analyse", "arrays_from_pairs", "guard_results", "relative_tests"]

ERROR_TEST = "msprt-poisson-ratio"
LATENCY_TEST = "msprt-exceedance-ratio"
GUARD_TEST = "msprt-one-sample-rate"


@dataclass(frozen=True)
class CohortArrays:
    """Counts per slice (last axis) for both cohorts; latency as dense buckets ``(..., slices, buckets)``."""

    baseline_requests: NDArray[np.int64]
    baseline_errors: NDArray[np.int64]
    canary_requests: NDArray[np.int64]
    canary_errors: NDArray[np.int64]
    baseline_latency: NDArray[np.int64]
    canary_latency: NDArray[np.int64]
    keys: NDArray[np.int64]


def arrays_from_pairs(pairs: Sequence[SlicePair]) -> CohortArrays:
    """Stack one rollout's slices (oldest first) into arrays."""
    keys, dense = dense_histograms([p.baseline.latency for p in pairs] + [p.canary.latency for p in pairs])
    n = len(pairs)

    def ints(values: list[int]) -> NDArray[np.int64]:
        return np.asarray(values, dtype=np.int64)

    return CohortArrays(
        baseline_requests=ints([p.baseline.requests for p in pairs]),
        baseline_errors=ints([p.baseline.errors for p in pairs]),
        canary_requests=ints([p.canary.requests for p in pairs]),
        canary_errors=ints([p.canary.errors for p in pairs]),
        baseline_latency=dense[:n] if dense.size else np.zeros((n, 1), dtype=np.int64),
        canary_latency=dense[n:] if dense.size else np.zeros((n, 1), dtype=np.int64),
        keys=keys if keys.size else np.zeros(1, dtype=np.int64),
    )


def latency_harm_ratios(q: float, policy: Policy) -> tuple[float, ...]:
    """Alternatives for the share of requests above the pooled ``q`` bucket.

    That share can grow at most ``1/(1-q)``-fold (×2 at p50, ×100 at p99), so the default grid is
    spread geometrically over ``[1.1, min(10, 1/(1-q))]``; an explicit ``policy.harm_ratios`` wins.
    """
    if policy.harm_ratios != DEFAULT_HARM_RATIOS:
        return policy.harm_ratios
    top = min(10.0, 1.0 / (1.0 - q))
    return tuple(float(x) for x in np.geomspace(1.1, top, len(DEFAULT_HARM_RATIOS)))


def metric_name(q: float) -> str:
    return f"latency_p{q * 100:g}".replace(".", "_")


def relative_tests(data: CohortArrays, policy: Policy, *, with_interval: bool = True) -> dict[str, CountTest]:
    """The error-rate test and one exceedance test per quantile, each at ``policy.per_test_alpha``."""
    alpha = policy.per_test_alpha
    tests = {
        "error_rate": count_test(
            data.baseline_requests,
            data.baseline_errors,
            data.canary_requests,
            data.canary_errors,
            alpha=alpha,
            harm_ratios=policy.harm_ratios,
            null_ratio=policy.error_tolerance,
            min_requests=policy.min_requests,
            with_interval=with_interval,
        )
    }
    # Latency counts only requests that were measured (a sketch may hold fewer values than requests).
    lat_nb = data.baseline_latency.sum(axis=-1)
    lat_nc = data.canary_latency.sum(axis=-1)
    for q in policy.quantiles:
        slow_b, slow_c = exceedance_counts(data.baseline_latency, data.canary_latency, q)
        tests[metric_name(q)] = count_test(
            lat_nb,
            slow_b,
            lat_nc,
            slow_c,
            alpha=alpha,
            harm_ratios=latency_harm_ratios(q, policy),
            null_ratio=policy.latency_tolerance,
            min_requests=policy.min_requests,
            with_interval=with_interval,
        )
    return tests


def _f(value: object) -> float | None:
    v = float(np.asarray(value))
    return v if np.isfinite(v) else None


def guard_results(
    requests: NDArray[np.int64], errors: NDArray[np.int64], policy: Policy, *, metric: str, alpha: float
) -> MetricResult:
    """One-sample guard: does this cohort burn its error budget faster than ``burn_rate_limit``?"""
    budget = 1.0 - policy.slo_objective
    limit = min(policy.burn_rate_limit * budget, 0.999)
    running, threshold = rate_above_test(requests, errors, limit, alpha=alpha, harm_ratios=policy.harm_ratios)
    log_e = running[..., -1] if running.shape[-1] else 0.0
    n, x = int(requests.sum()), int(errors.sum())
    burn = (x / n) / budget if n else None
    return MetricResult(
        metric=metric,
        test=GUARD_TEST,
        alarm=bool(float(log_e) >= threshold and n >= policy.guard_min_requests),
        baseline_requests=0,
        canary_requests=n,
        baseline_estimate=None,
        canary_estimate=burn,
        ratio=None,
        lower=None,
        upper=None,
        log_e_value=float(log_e),
        threshold_log_e=threshold,
        alpha=alpha,
        note=f"burn rate vs limit {policy.burn_rate_limit:g} (objective {policy.slo_objective:g})",
    )


def analyse(pairs: Sequence[SlicePair], policy: Policy) -> tuple[MetricResult, ...]:
    """All results for one rollout: relative tests, the canary's SLO guard, the per-tenant gate."""
    if not pairs:  # nothing recorded yet: one empty slice gives "no evidence" through the same code
        pairs = [SlicePair(0.0, 0.0, CohortCounts(), CohortCounts())]
    data = arrays_from_pairs(pairs)
    scheme = BucketScheme(policy.relative_accuracy)
    results = []
    for name, t in relative_tests(data, policy).items():
        if name == "error_rate":
            nb, nc = data.baseline_requests.sum(), data.canary_requests.sum()
            est_b = float(t.baseline_events) / nb if nb else None
            est_c = float(t.canary_events) / nc if nc else None
            test, note = ERROR_TEST, f"error rate ratio; null ratio {policy.error_tolerance:g}"
        else:
            q = policy.quantiles[[metric_name(x) for x in policy.quantiles].index(name)]
            est_b = _f(quantile_from_counts(data.keys, data.baseline_latency.sum(axis=0), q, scheme))
            est_c = _f(quantile_from_counts(data.keys, data.canary_latency.sum(axis=0), q, scheme))
            test = LATENCY_TEST
            note = (
                f"ratio of shares above the pooled p{q * 100:g} bucket;"
                f" estimates in seconds (±{scheme.relative_accuracy:.0%})"
            )
        results.append(
            MetricResult(
                metric=name,
                test=test,
                alarm=bool(t.alarm),
                baseline_requests=int(t.baseline_requests),
                canary_requests=int(t.canary_requests),
                baseline_estimate=est_b,
                canary_estimate=est_c,
                ratio=_f(t.ratio),
                lower=_f(t.lower),
                upper=_f(t.upper),
                log_e_value=float(t.max_log_e),
                threshold_log_e=t.threshold_log_e,
                alpha=policy.per_test_alpha,
                note=note,
            )
        )
    results.append(
        guard_results(data.canary_requests, data.canary_errors, policy, metric="slo_burn", alpha=policy.guard_alpha)
    )
    results.extend(_tenant_gate(pairs, policy))
    return tuple(results)


def _tenant_gate(pairs: Sequence[SlicePair], policy: Policy) -> list[MetricResult]:
    """Per tenant with enough canary traffic: the canary burns that tenant's budget while its baseline does not."""
    tenants = sorted({t for p in pairs for t in p.tenants})
    if not tenants:
        return []
    alpha = policy.guard_alpha / len(tenants)
    budget = 1.0 - policy.slo_objective
    out = []
    for tenant in tenants:
        rows = [p.tenants.get(tenant) for p in pairs]
        nc = np.asarray([r[1].requests if r else 0 for r in rows], dtype=np.int64)
        xc = np.asarray([r[1].errors if r else 0 for r in rows], dtype=np.int64)
        nb = sum(r[0].requests for r in rows if r)
        xb = sum(r[0].errors for r in rows if r)
        if nc.sum() < policy.tenant_min_requests:
            continue
        result = guard_results(nc, xc, policy, metric=f"tenant_burn:{tenant}", alpha=alpha)
        baseline_burn = (xb / nb) / budget if nb else 0.0
        # The tenant's own baseline burning as hard means the tenant has a problem, not the rollout.
        alarm = result.alarm and baseline_burn < policy.burn_rate_limit
        out.append(
            MetricResult(
                **{**result.__dict__, "alarm": alarm, "baseline_requests": nb, "baseline_estimate": baseline_burn}
            )
        )
    return out
