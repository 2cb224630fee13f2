# ruff: noqa: RUF002, RUF003 - the statistics read in their usual notation (ρ, γ, ×, −)
"""Always-valid sequential tests on counts: the type-I error holds however often you look.

The one test every canary metric reduces to: in each time slice, baseline and canary each serve some
requests and some of those are *events* (errors, or requests slower than a threshold). Conditional on
the slice's total events ``X``, the canary's share ``x_c`` is Binomial(``X``, ``ρq / (ρq + 1 - q)``)
under a Poisson model, where ``q`` is the canary's share of the slice's traffic and ``ρ`` the ratio of
the canary's event rate to the baseline's. Per slice the log-likelihood of ``ρ`` against ``ρ = 1`` is

    ℓ_i(ρ) = x_c,i · log ρ  −  X_i · log(1 + q_i (ρ − 1))

and ``exp(Σ ℓ_i(ρ₁) − Σ ℓ_i(ρ₀))`` is a test martingale under ``ρ₀`` (a supermartingale when events are
binomial rather than Poisson: the hypergeometric law of ``x_c`` given ``X`` is smaller in convex order).
Mixing over a fixed grid of alternatives gives the e-value of a mixture SPRT; Ville's inequality bounds
``P(sup_n E_n ≥ 1/α) ≤ α`` under the null, for every stopping rule (Johari et al. 2017, Lindon & Malek
2022). Inverting the same construction over a grid of nulls gives an anytime-valid confidence sequence.

Everything is numpy and vectorised over leading axes, so the simulator runs thousands of rollouts at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_HARM_RATIOS",
    "CountTest",
    "confidence_sequence",
    "count_test",
    "log_evidence",
    "rate_above_test",
    "slice_log_likelihood",
]

FloatArray = NDArray[np.float64]

# Alternatives "canary worse by this factor", weighted equally. Finer grids cost log(len) nats of
# evidence; these six cover the regressions worth stopping for (×1.2 latency tail … ×10 errors).
DEFAULT_HARM_RATIOS: tuple[float, ...] = (1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
# Nulls tried when inverting the test into a confidence sequence for the rate ratio (log-spaced).
_CS_GRID = np.exp(np.linspace(np.log(1 / 50), np.log(50), 241))


def slice_log_likelihood(
    canary_events: NDArray[np.floating] | NDArray[np.integer],
    total_events: NDArray[np.floating] | NDArray[np.integer],
    canary_share: NDArray[np.floating],
    ratios: NDArray[np.floating],
) -> FloatArray:
    """Per-slice ``ℓ_i(ρ)`` for each ``ρ`` in ``ratios``: shape ``(*slices, len(ratios))``.

    ``canary_share`` is the canary's share of the slice's *requests*; slices without traffic in either
    cohort carry no information and contribute 0.
    """
    x_c = np.asarray(canary_events, dtype=np.float64)[..., None]
    x = np.asarray(total_events, dtype=np.float64)[..., None]
    q = np.clip(np.asarray(canary_share, dtype=np.float64), 0.0, 1.0)[..., None]
    rho = np.asarray(ratios, dtype=np.float64)
    informative = (q > 0.0) & (q < 1.0)
    ll = x_c * np.log(rho) - x * np.log1p(q * (rho - 1.0))
    return np.where(informative, ll, 0.0)


def log_evidence(cum_ll_alt: FloatArray, cum_ll_null: FloatArray | float = 0.0) -> FloatArray:
    """Log of the equal-weight mixture e-value ``mean_j exp(L(ρ_j) − L(ρ₀))`` over the last axis."""
    diff = cum_ll_alt - np.asarray(cum_ll_null, dtype=np.float64)[..., None]
    top = np.max(diff, axis=-1)
    out: FloatArray = top + np.log(np.mean(np.exp(diff - top[..., None]), axis=-1))
    return out


def confidence_sequence(cum_ll_grid: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Anytime-valid ``1 − alpha`` bounds on the rate ratio from ``L`` evaluated on ``_CS_GRID``.

    A null ``ρ₀`` stays in the set while the mixture over the whole grid has not gathered ``1/alpha``
    evidence against it: ``log mean_j exp(L_j) − L(ρ₀) < log(1/alpha)``.
    """
    mix = log_evidence(cum_ll_grid)  # against ρ=1, then shift per null below
    keep = (mix[..., None] - cum_ll_grid) < np.log(1.0 / alpha)
    grid = np.broadcast_to(_CS_GRID, keep.shape)
    lower = np.min(np.where(keep, grid, np.inf), axis=-1)
    upper = np.max(np.where(keep, grid, -np.inf), axis=-1)
    return np.where(np.isfinite(lower), lower, np.nan), np.where(np.isfinite(upper), upper, np.nan)


@dataclass(frozen=True)
class CountTest:
    """Cumulative result of the one-sided test "canary's event rate > null_ratio × baseline's".

    Arrays share the leading shape of the input without the slice axis (a scalar for one rollout):
    ``log_e`` the log e-value after the last slice, ``max_log_e`` its running maximum, ``alarm`` whether
    the maximum crossed ``threshold_log_e`` once the minimum sample was in (a verdict once reached is
    never taken back), ``ratio`` the plug-in rate ratio with its
    anytime-valid ``lower``/``upper`` bounds, and event/request totals per cohort.
    """

    log_e: FloatArray
    max_log_e: FloatArray
    alarm: NDArray[np.bool_]
    first_alarm: NDArray[np.int64]
    ratio: FloatArray
    lower: FloatArray
    upper: FloatArray
    baseline_events: FloatArray
    canary_events: FloatArray
    baseline_requests: FloatArray
    canary_requests: FloatArray
    threshold_log_e: float


def count_test(
    baseline_requests: NDArray[np.floating] | NDArray[np.integer],
    baseline_events: NDArray[np.floating] | NDArray[np.integer],
    canary_requests: NDArray[np.floating] | NDArray[np.integer],
    canary_events: NDArray[np.floating] | NDArray[np.integer],
    *,
    alpha: float,
    harm_ratios: Sequence[float] = DEFAULT_HARM_RATIOS,
    null_ratio: float = 1.0,
    min_requests: int = 0,
    with_interval: bool = True,
) -> CountTest:
    """Run the mixture SPRT over the last axis (slices, in time order) of the four count arrays.

    ``first_alarm`` is the index of the first slice after which ``log_e ≥ log(1/alpha)`` with at least
    ``min_requests`` per cohort so far (a minimum sample before any verdict), or -1. Requiring the
    sample only ever removes alarms, so the bound on false alarms is unchanged.
    """
    n_b = np.asarray(baseline_requests, dtype=np.float64)
    x_b = np.asarray(baseline_events, dtype=np.float64)
    n_c = np.asarray(canary_requests, dtype=np.float64)
    x_c = np.asarray(canary_events, dtype=np.float64)
    total = n_b + n_c
    share = np.divide(n_c, total, out=np.zeros_like(total), where=total > 0)
    alts = null_ratio * np.asarray(harm_ratios, dtype=np.float64)
    grid = np.concatenate([alts, [null_ratio]])
    cum = np.cumsum(slice_log_likelihood(x_c, x_b + x_c, share, grid), axis=-2)
    path = log_evidence(cum[..., :-1], cum[..., -1])
    threshold = float(np.log(1.0 / alpha))
    running = np.maximum.accumulate(path, axis=-1)
    enough = (np.cumsum(n_b, axis=-1) >= min_requests) & (np.cumsum(n_c, axis=-1) >= min_requests)
    crossed = (running >= threshold) & enough
    first = np.where(crossed.any(axis=-1), np.argmax(crossed, axis=-1), -1).astype(np.int64)
    sb, sc = x_b.sum(axis=-1), x_c.sum(axis=-1)
    rb, rc = n_b.sum(axis=-1), n_c.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((sb > 0) & (rc > 0), (sc / rc) / (sb / np.maximum(rb, 1.0)), np.nan)
    if with_interval:
        cs_ll = slice_log_likelihood(x_c, x_b + x_c, share, _CS_GRID).sum(axis=-2)
        lower, upper = confidence_sequence(cs_ll, alpha)
    else:
        lower = upper = np.full_like(ratio, np.nan)
    return CountTest(
        log_e=path[..., -1] if path.shape[-1] else np.zeros(path.shape[:-1]),
        max_log_e=running[..., -1] if running.shape[-1] else np.zeros(running.shape[:-1]),
        alarm=first >= 0,
        first_alarm=first,
        ratio=ratio,
        lower=lower,
        upper=upper,
        baseline_events=sb,
        canary_events=sc,
        baseline_requests=rb,
        canary_requests=rc,
        threshold_log_e=threshold,
    )


def rate_above_test(
    requests: NDArray[np.floating] | NDArray[np.integer],
    events: NDArray[np.floating] | NDArray[np.integer],
    limit_rate: float,
    *,
    alpha: float,
    harm_ratios: Sequence[float] = DEFAULT_HARM_RATIOS,
) -> tuple[FloatArray, float]:
    """One-sample mixture SPRT of "event rate > ``limit_rate``" over the last axis (slices).

    Returns the running maximum of the log e-value after each slice (same shape as the input) and the
    alarm threshold ``log(1/alpha)``: the absolute guard (a cohort's own burn rate against its SLO)
    without crying wolf on ten requests.
    """
    n = np.asarray(requests, dtype=np.float64)
    x = np.asarray(events, dtype=np.float64)
    p0 = float(np.clip(limit_rate, 1e-9, 1 - 1e-9))
    p1 = np.clip(p0 * np.asarray(harm_ratios, dtype=np.float64), 1e-9, 1 - 1e-9)
    ll = x[..., None] * np.log(p1 / p0) + (n - x)[..., None] * np.log((1 - p1) / (1 - p0))
    path = log_evidence(np.cumsum(ll, axis=-2))
    running = np.maximum.accumulate(path, axis=-1) if path.shape[-1] else path
    return running, float(np.log(1 / alpha))
