# ruff: noqa: RUF002, RUF003 - the statistics read in their usual notation (ρ, γ, ×, −)
"""Synthetic cohorts, run many times, so every threshold is judged by false-alarm rate and power.

Each scenario draws baseline and canary cohorts for ``checks`` consecutive checks (errors binomial,
latency multinomial over the same log buckets a sketch uses) and runs them through the very engine the
controller uses (``analysis.relative_tests`` plus the SLO guard), and through a naive repeated z-test on
the same counts for comparison. Figures: the share of runs that alarm within the horizon (the
false-alarm rate for identical cohorts, the power otherwise) and the checks it took.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from pavedroad.canary.analysis import CohortArrays, relative_tests
from pavedroad.canary.latency import BucketScheme, exceedance_counts
from pavedroad.canary.model import Policy
from pavedroad.canary.sequential import rate_above_test

__all__ = [
    "SCENARIOS",
    "MethodFigures",
    "Scenario",
    "by_check",
    "engine_first_alarm",
    "figures",
    "generate",
    "naive_first_alarm",
    "simulate",
]

SIM_RELATIVE_ACCURACY = 0.02  # coarser than production sketches: same test, a quarter of the buckets
_Z_95 = 1.6448536269514722  # one-sided 5 % critical value of the standard normal


@dataclass(frozen=True)
class Scenario:
    """One synthetic rollout: per-cohort traffic per check, error rates and latency (lognormal)."""

    name: str
    requests: int = 1000  # per cohort per check
    error_rate: float = 0.003
    error_ratio: float = 1.0  # canary error rate = error_rate × this
    latency_median_s: float = 0.08
    latency_sigma: float = 0.5
    latency_scale: float = 1.0  # every canary request is this much slower
    tail_scale: float = 1.0  # canary requests beyond the baseline p95 are this much slower

    @property
    def harmful(self) -> bool:
        return self.error_ratio != 1.0 or self.latency_scale != 1.0 or self.tail_scale != 1.0


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("identical"),
    Scenario("latency_x1_2", latency_scale=1.2),
    Scenario("latency_p99_x1_5", tail_scale=1.5),
    Scenario("latency_x1_2_low_traffic", requests=120, latency_scale=1.2, latency_sigma=1.0),
    Scenario("errors_x2_low_traffic", error_ratio=2.0),
    Scenario("errors_x2_high_traffic", requests=10_000, error_ratio=2.0),
)


def _normal_cdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0)))(z), dtype=np.float64)


def _bucket_probabilities(
    s: Scenario, scheme: BucketScheme
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Bucket keys and the probability of each bucket for baseline and canary latency."""
    mu, sigma = math.log(s.latency_median_s), s.latency_sigma
    lo = math.exp(mu - 5 * sigma)
    hi = math.exp(mu + 5 * sigma) * s.latency_scale * s.tail_scale
    keys = np.arange(scheme.key(lo), scheme.key(hi) + 1, dtype=np.int64)
    edges = scheme.upper_bound(keys)

    def base_cdf(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return _normal_cdf((np.log(np.maximum(x, 1e-300)) - mu) / sigma)

    x95 = math.exp(mu + 1.6448536269514722 * sigma)
    z = edges / s.latency_scale
    f95 = float(base_cdf(np.asarray([x95]))[0])
    canary = np.where(z <= x95, base_cdf(np.minimum(z, x95)), f95 + np.maximum(0.0, base_cdf(z / s.tail_scale) - f95))

    def probs(cdf: NDArray[np.float64]) -> NDArray[np.float64]:
        cdf = cdf.copy()
        cdf[-1] = 1.0  # everything slower lands in the last bucket
        p = np.diff(np.concatenate([[0.0], cdf]))
        p = np.maximum(p, 0.0)
        out: NDArray[np.float64] = p / p.sum()
        return out

    return keys, probs(base_cdf(edges)), probs(canary)


def generate(
    s: Scenario, runs: int, checks: int, rng: np.random.Generator, *, points_per_check: int = 1
) -> CohortArrays:
    """Draw ``runs × checks × points_per_check`` slices (points split each check's requests evenly)."""
    scheme = BucketScheme(SIM_RELATIVE_ACCURACY)
    keys, p_base, p_canary = _bucket_probabilities(s, scheme)
    n = max(1, s.requests // points_per_check)
    shape = (runs, checks * points_per_check)
    requests = np.full(shape, n, dtype=np.int64)
    return CohortArrays(
        baseline_requests=requests,
        baseline_errors=rng.binomial(n, s.error_rate, size=shape),
        canary_requests=requests.copy(),
        canary_errors=rng.binomial(n, min(1.0, s.error_rate * s.error_ratio), size=shape),
        baseline_latency=rng.multinomial(n, p_base, size=shape),
        canary_latency=rng.multinomial(n, p_canary, size=shape),
        keys=keys,
    )


def by_check(data: CohortArrays, points_per_check: int) -> CohortArrays:
    """Sum consecutive points into checks (what the engine sees when a check spans several points)."""
    if points_per_check == 1:
        return data

    def fold(a: NDArray[np.int64]) -> NDArray[np.int64]:
        runs, slices = a.shape[:2]
        out: NDArray[np.int64] = a.reshape(runs, slices // points_per_check, points_per_check, *a.shape[2:]).sum(axis=2)
        return out

    return replace(
        data,
        **{f: fold(getattr(data, f)) for f in data.__dataclass_fields__ if f != "keys"},
    )


def _first(alarm_paths: Sequence[NDArray[np.bool_]]) -> NDArray[np.int64]:
    any_alarm = np.logical_or.reduce(np.stack(alarm_paths), axis=0)
    return np.where(any_alarm.any(axis=-1), np.argmax(any_alarm, axis=-1), -1).astype(np.int64)


def engine_first_alarm(data: CohortArrays, policy: Policy) -> NDArray[np.int64]:
    """Check index (0-based) of the engine's first alarm per run, or -1: relative tests and SLO guard."""
    tests = relative_tests(data, policy, with_interval=False)
    checks = data.canary_requests.shape[-1]
    paths = [
        np.arange(checks) >= np.where(t.first_alarm >= 0, t.first_alarm, checks)[..., None] for t in tests.values()
    ]
    limit = min(policy.burn_rate_limit * (1.0 - policy.slo_objective), 0.999)
    running, threshold = rate_above_test(
        data.canary_requests, data.canary_errors, limit, alpha=policy.guard_alpha, harm_ratios=policy.harm_ratios
    )
    enough = np.cumsum(data.canary_requests, axis=-1) >= policy.guard_min_requests
    paths.append((running >= threshold) & enough)
    return _first(paths)


def _z_path(
    n_b: NDArray[np.int64], x_b: NDArray[np.int64], n_c: NDArray[np.int64], x_c: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Cumulative two-proportion z statistic (canary minus baseline) after each slice."""
    nb, xb, nc, xc = (np.cumsum(a, axis=-1).astype(np.float64) for a in (n_b, x_b, n_c, x_c))
    pooled = (xb + xc) / np.maximum(nb + nc, 1.0)
    se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(nb, 1.0) + 1 / np.maximum(nc, 1.0)))
    diff = xc / np.maximum(nc, 1.0) - xb / np.maximum(nb, 1.0)
    return np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)


def naive_first_alarm(data: CohortArrays, policy: Policy, *, errors_only: bool = False) -> NDArray[np.int64]:
    """A one-sided 5 % z-test per metric, repeated at every check on the data so far (what dashboards do)."""
    n_b, n_c = data.baseline_requests, data.canary_requests
    enough = (np.cumsum(n_b, axis=-1) >= policy.min_requests) & (np.cumsum(n_c, axis=-1) >= policy.min_requests)
    paths = [(_z_path(n_b, data.baseline_errors, n_c, data.canary_errors) >= _Z_95) & enough]
    if not errors_only:
        lat_b, lat_c = data.baseline_latency.sum(axis=-1), data.canary_latency.sum(axis=-1)
        for q in policy.quantiles:
            slow_b, slow_c = exceedance_counts(data.baseline_latency, data.canary_latency, q)
            paths.append((_z_path(lat_b, slow_b, lat_c, slow_c) >= _Z_95) & enough)
    return _first(paths)


@dataclass(frozen=True)
class MethodFigures:
    """How one method fared on one scenario."""

    scenario: str
    method: str
    runs: int
    checks: int
    alarm_rate: float  # false-alarm rate for identical cohorts, power otherwise
    median_checks_to_alarm: float | None  # 1-based, among runs that alarmed
    harmful: bool


def figures(scenario: Scenario, method: str, first_alarm: NDArray[np.int64], checks: int) -> MethodFigures:
    """Summarise first-alarm indices (``-1`` = never) into rates and times."""
    hit = first_alarm[first_alarm >= 0]
    return MethodFigures(
        scenario=scenario.name,
        method=method,
        runs=int(first_alarm.size),
        checks=checks,
        alarm_rate=float(hit.size / max(first_alarm.size, 1)),
        median_checks_to_alarm=float(np.median(hit + 1)) if hit.size else None,
        harmful=scenario.harmful,
    )


def simulate(
    scenarios: Sequence[Scenario] = SCENARIOS,
    *,
    runs: int = 2000,
    checks: int = 30,
    policy: Policy | None = None,
    seed: int = 1,
    batch: int = 500,
) -> list[MethodFigures]:
    """Run every scenario ``runs`` times through the engine and the naive repeated z-test."""
    policy = policy or Policy()
    rng = np.random.default_rng(seed)
    out = []
    for s in scenarios:
        engine, naive = [], []
        for start in range(0, runs, batch):
            data = generate(s, min(batch, runs - start), checks, rng)
            engine.append(engine_first_alarm(data, policy))
            naive.append(naive_first_alarm(data, policy))
        out.append(figures(s, "pavedroad", np.concatenate(engine), checks))
        out.append(figures(s, "naive-z", np.concatenate(naive), checks))
    return out
