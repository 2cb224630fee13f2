"""The canary's statistics: few false alarms however often it looks, and real regressions found fast."""

from __future__ import annotations

import numpy as np
import pytest

from pavedroad.canary import Policy, count_test
from pavedroad.canary.simulate import Scenario, engine_first_alarm, generate, naive_first_alarm

RUNS = 3000
CHECKS = 30


@pytest.fixture(scope="module")
def identical() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2026)
    data = generate(Scenario("identical"), RUNS, CHECKS, rng)
    policy = Policy()
    return engine_first_alarm(data, policy), naive_first_alarm(data, policy, errors_only=True)


def test_identical_cohorts_over_30_checks_false_alarm_at_most_one_percent(
    identical: tuple[np.ndarray, np.ndarray],
) -> None:
    """Identical cohorts checked 30 times: the whole engine (4 tests + SLO guard) alarms in ≤ 1% of runs."""
    engine, _ = identical
    rate = float((engine >= 0).mean())
    # 3000 runs: the point estimate must be within budget (the engine measures ~0.2%).
    assert rate <= 0.01, f"false-alarm rate {rate:.4f}"


def test_naive_repeated_z_test_cries_wolf_on_the_same_data(identical: tuple[np.ndarray, np.ndarray]) -> None:
    """The naive test, same data, one metric: looking 30 times inflates 5% to well above 10%."""
    _, naive = identical
    assert float((naive >= 0).mean()) > 0.10


def test_doubled_error_rate_at_1k_requests_detected_within_bounded_checks() -> None:
    """x2 errors (1% → 2%) at 1k requests per cohort per check: every run caught within 15 checks."""
    rng = np.random.default_rng(7)
    data = generate(Scenario("x2", requests=1000, error_rate=0.01, error_ratio=2.0), 1000, CHECKS, rng)
    first = engine_first_alarm(data, Policy())
    assert (first >= 0).all()
    assert int(first.max()) + 1 <= 15
    assert float(np.median(first + 1)) <= 8


def test_doubled_error_rate_at_low_base_rate_mostly_detected_within_30_checks() -> None:
    """x2 errors at a 0.3% base rate (3 vs 6 errors per check): ≥ 90% caught within 30 checks."""
    rng = np.random.default_rng(8)
    data = generate(Scenario("x2-low", error_ratio=2.0), 1000, CHECKS, rng)
    assert float((engine_first_alarm(data, Policy()) >= 0).mean()) >= 0.90


def test_latency_p99_x1_5_detected() -> None:
    """The slowest 5% of canary requests 1.5x slower (p99 x1.5, p50 unchanged): caught in every run."""
    rng = np.random.default_rng(9)
    data = generate(Scenario("tail", tail_scale=1.5), 500, CHECKS, rng)
    first = engine_first_alarm(data, Policy(quantiles=(0.99,)))
    assert (first >= 0).all()


def test_latency_x1_2_detected() -> None:
    rng = np.random.default_rng(10)
    data = generate(Scenario("slow", latency_scale=1.2), 500, CHECKS, rng)
    assert float((engine_first_alarm(data, Policy()) >= 0).mean()) >= 0.99


def test_a_better_canary_never_alarms() -> None:
    """Harm is one-sided: a canary with half the errors is never flagged."""
    rng = np.random.default_rng(11)
    n = np.full((2000, CHECKS), 1000)
    t = count_test(
        n, rng.binomial(1000, 0.02, n.shape), n, rng.binomial(1000, 0.01, n.shape), alpha=0.0025, with_interval=False
    )
    assert not t.alarm.any()


def test_confidence_sequence_covers_the_true_ratio() -> None:
    """The anytime-valid interval on the rate ratio holds the true ratio (2.0) in ≥ 99% of runs."""
    rng = np.random.default_rng(12)
    n = np.full((1000, CHECKS), 2000)
    t = count_test(n, rng.binomial(2000, 0.005, n.shape), n, rng.binomial(2000, 0.01, n.shape), alpha=0.01)
    covered = (t.lower <= 2.0) & (t.upper >= 2.0)
    assert float(covered.mean()) >= 0.99
    assert float(np.median(t.lower)) > 1.0  # and it is informative: "worse" is established
    assert float(np.median(t.upper - t.lower)) < 1.5


def test_tolerance_ignores_small_regressions() -> None:
    """With error_tolerance 1.5, a 1.2x error rate is not harm even with plenty of traffic."""
    rng = np.random.default_rng(13)
    n = np.full((500, CHECKS), 20_000)
    t = count_test(
        n, rng.binomial(20_000, 0.01, n.shape), n, rng.binomial(20_000, 0.012, n.shape), alpha=0.0025, null_ratio=1.5
    )
    assert not t.alarm.any()


def test_no_traffic_means_no_evidence() -> None:
    zeros = np.zeros((1, CHECKS), dtype=np.int64)
    t = count_test(zeros, zeros, zeros, zeros, alpha=0.01)
    assert not t.alarm.any()
    assert float(t.max_log_e[0]) <= 1e-9


def test_minimum_sample_before_any_verdict() -> None:
    """Even a blatant difference waits for min_requests per cohort."""
    n = np.full((1, 5), 50)
    t = count_test(n, np.zeros_like(n), n, np.full_like(n, 25), alpha=0.01, min_requests=200)
    assert int(t.first_alarm[0]) == 3  # after the 4th slice: 200 requests per cohort
