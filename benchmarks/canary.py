"""Canary analysis: false alarms and power of pavedroad's engine against Kayenta-style and naive checks.

Same synthetic data for every method, in the same run. Each scenario draws baseline and canary cohorts
for 30 checks (a check = 6 datapoints of 10 s, like a Kayenta metric step; errors binomial, latency
multinomial over the sketch's log buckets) many times:

* **pavedroad** — the controller's engine (``canary.simulate.engine_first_alarm``): always-valid mixture
  SPRTs on error counts and on latency exceedance counts at p50/p95/p99, Bonferroni over the four, plus
  the canary's SLO burn guard, looked at after *every* check.
* **kayenta-style** — one fixed-horizon judgement at the end of the 30 checks, per metric (error rate,
  p50, p99 per datapoint): ``scipy.stats.mannwhitneyu`` two-sided at 95 %, classified High only when the
  Hodges-Lehmann shift (median of pairwise differences) is above zero, as Kayenta's
  ``MannWhitneyClassifier`` does; the canary fails when any metric is High.
* **naive-z** — a one-sided 5 % two-proportion z-test per metric on the data so far, repeated at every
  check (what a dashboard with a fixed threshold does); reported for all four metrics and errors alone.

Figures: alarm rate within the horizon (false-alarm rate on identical cohorts, power otherwise) and the
median number of checks to the first alarm. ``--quick`` uses fewer runs (coarser rates).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table
from scipy.stats import mannwhitneyu

from pavedroad.canary import Policy, analyse
from pavedroad.canary.analysis import CohortArrays
from pavedroad.canary.latency import BucketScheme, quantile_from_counts
from pavedroad.canary.model import CohortCounts, SlicePair
from pavedroad.canary.simulate import (
    SCENARIOS,
    SIM_RELATIVE_ACCURACY,
    Scenario,
    by_check,
    engine_first_alarm,
    generate,
    naive_first_alarm,
)

CHECKS = 30
POINTS = 6  # datapoints per check (10 s steps in a 1-minute check)
BATCH = 200


def kayenta_fails(points: CohortArrays) -> NDArray[np.bool_]:
    """Kayenta-style verdict per run over all datapoints of the horizon: any metric classified High."""
    scheme = BucketScheme(SIM_RELATIVE_ACCURACY)
    metrics = [
        (
            points.baseline_errors / np.maximum(points.baseline_requests, 1),
            points.canary_errors / np.maximum(points.canary_requests, 1),
        )
    ]
    for q in (0.5, 0.99):
        metrics.append(
            (
                quantile_from_counts(points.keys, points.baseline_latency, q, scheme),
                quantile_from_counts(points.keys, points.canary_latency, q, scheme),
            )
        )
    fails = np.zeros(points.baseline_requests.shape[0], dtype=bool)
    for base_values, canary_values in metrics:
        base, canary = np.nan_to_num(base_values), np.nan_to_num(canary_values)
        p = mannwhitneyu(canary, base, axis=1, alternative="two-sided").pvalue
        shift = np.median(canary[:, :, None] - base[:, None, :], axis=(1, 2))  # Hodges-Lehmann
        fails |= (p < 0.05) & (shift > 0)
    return fails


def run_scenario(s: Scenario, runs: int, rng: np.random.Generator, policy: Policy) -> dict[str, NDArray[np.int64]]:
    """First-alarm check index per run (-1: never) for each method; Kayenta's is the horizon end or -1."""
    out: dict[str, list[NDArray[np.int64]]] = {"pavedroad": [], "kayenta": [], "naive": [], "naive_errors": []}
    for start in range(0, runs, BATCH):
        points = generate(s, min(BATCH, runs - start), CHECKS, rng, points_per_check=POINTS)
        checks = by_check(points, POINTS)
        out["pavedroad"].append(engine_first_alarm(checks, policy))
        out["naive"].append(naive_first_alarm(checks, policy))
        out["naive_errors"].append(naive_first_alarm(checks, policy, errors_only=True))
        out["kayenta"].append(np.where(kayenta_fails(points), CHECKS - 1, -1).astype(np.int64))
    return {k: np.concatenate(v) for k, v in out.items()}


def rate(first: NDArray[np.int64]) -> float:
    return float((first >= 0).mean())


def median_checks(first: NDArray[np.int64]) -> float | None:
    hit = first[first >= 0]
    return float(np.median(hit + 1)) if hit.size else None


def time_check(policy: Policy, rng: np.random.Generator, repeats: int) -> tuple[float, float]:
    """Median µs of one controller check's analysis (30 slices) vs one Kayenta-style judgement on it."""
    points = generate(SCENARIOS[0], 1, CHECKS, rng, points_per_check=POINTS)
    checks = by_check(points, POINTS)
    keys = checks.keys.tolist()

    def hist(row: NDArray[np.int64]) -> dict[int, int]:
        return {k: int(c) for k, c in zip(keys, row.tolist(), strict=True) if c}

    pairs = [
        SlicePair(
            i * 60.0,
            60.0,
            CohortCounts(
                int(checks.baseline_requests[0, i]),
                int(checks.baseline_errors[0, i]),
                hist(checks.baseline_latency[0, i]),
            ),
            CohortCounts(
                int(checks.canary_requests[0, i]), int(checks.canary_errors[0, i]), hist(checks.canary_latency[0, i])
            ),
        )
        for i in range(CHECKS)
    ]

    def timed(fn: Callable[[], object]) -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e6

    ours, theirs = [], []
    for _ in range(repeats):  # interleaved
        ours.append(timed(lambda: analyse(pairs, policy)))
        theirs.append(timed(lambda: kayenta_fails(points)))
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (under a minute)")
    parser.add_argument("--runs", type=int, default=0, help="runs per scenario (default 300 quick, 3000 full)")
    args = parser.parse_args()
    runs = args.runs or (300 if args.quick else 3000)
    policy = Policy()
    rng = np.random.default_rng(20261122)
    console = Console()
    results: dict[str, dict[str, NDArray[np.int64]]] = {}
    started = time.perf_counter()
    for s in SCENARIOS:
        results[s.name] = run_scenario(s, runs, rng, policy)

    table = Table(title=f"canary analysis: {runs} runs x {CHECKS} checks per scenario (alarm rate / median checks)")
    table.add_column("scenario")
    for method in ("pavedroad", "kayenta", "naive", "naive_errors"):
        table.add_column(method, justify="right")
    for name, by_method in results.items():
        cells = []
        for method in ("pavedroad", "kayenta", "naive", "naive_errors"):
            m = median_checks(by_method[method])
            cells.append(f"{rate(by_method[method]):.3f} / {'-' if m is None else f'{m:g}'}")
        table.add_row(name, *cells)
    console.print(table)
    ours_us, kayenta_us = time_check(policy, rng, 7 if args.quick else 25)
    console.print(f"one check's analysis: pavedroad {ours_us:,.0f} µs, kayenta-style judgement {kayenta_us:,.0f} µs")

    r = results
    figures = {
        "runs_per_scenario": runs,
        "checks": CHECKS,
        "false_alarm_rate": rate(r["identical"]["pavedroad"]),
        "naive_false_alarm_rate": rate(r["identical"]["naive"]),
        "naive_errors_only_false_alarm_rate": rate(r["identical"]["naive_errors"]),
        "kayenta_false_alarm_rate": rate(r["identical"]["kayenta"]),
        "power_error_x2": rate(r["errors_x2_low_traffic"]["pavedroad"]),
        "kayenta_power_error_x2": rate(r["errors_x2_low_traffic"]["kayenta"]),
        "naive_power_error_x2": rate(r["errors_x2_low_traffic"]["naive"]),
        "median_checks_to_detect": median_checks(r["errors_x2_low_traffic"]["pavedroad"]),
        "power_error_x2_high_traffic": rate(r["errors_x2_high_traffic"]["pavedroad"]),
        "kayenta_power_error_x2_high_traffic": rate(r["errors_x2_high_traffic"]["kayenta"]),
        "median_checks_to_detect_error_x2_high_traffic": median_checks(r["errors_x2_high_traffic"]["pavedroad"]),
        "power_latency_x1_2": rate(r["latency_x1_2"]["pavedroad"]),
        "kayenta_power_latency_x1_2": rate(r["latency_x1_2"]["kayenta"]),
        "median_checks_to_detect_latency_x1_2": median_checks(r["latency_x1_2"]["pavedroad"]),
        "power_latency_x1_2_low_traffic": rate(r["latency_x1_2_low_traffic"]["pavedroad"]),
        "kayenta_power_latency_x1_2_low_traffic": rate(r["latency_x1_2_low_traffic"]["kayenta"]),
        "median_checks_to_detect_latency_x1_2_low_traffic": median_checks(r["latency_x1_2_low_traffic"]["pavedroad"]),
        "power_latency_p99_x1_5": rate(r["latency_p99_x1_5"]["pavedroad"]),
        "kayenta_power_latency_p99_x1_5": rate(r["latency_p99_x1_5"]["kayenta"]),
        "median_checks_to_detect_latency_p99_x1_5": median_checks(r["latency_p99_x1_5"]["pavedroad"]),
        "analysis_per_check_p50_us": round(ours_us, 1),
        "kayenta_judgement_p50_us": round(kayenta_us, 1),
        "analysis_vs_kayenta_time_ratio": round(ours_us / kayenta_us, 3),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
