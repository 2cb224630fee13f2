"""Error-budget maths against the SRE Workbook's tables, and volume weighting."""

from __future__ import annotations

import math

import pytest

from pavedroad.slo import (
    Counts,
    budget_consumed,
    burn_rate,
    detection_time,
    ratio_timeslices,
    remaining_budget,
    resolve_windows,
    threshold_burn_rate,
    time_to_exhaustion,
    timeslices,
)
from pavedroad.slo.windows import DAY, HOUR, MINUTE

# Workbook, "Alerting on SLOs", table 5-8: recommended parameters for a 99.9% SLO over 30 days.
WORKBOOK = [
    # severity, long window, short window, burn rate, budget consumed
    ("page", HOUR, 5 * MINUTE, 14.4, 0.02),
    ("page", 6 * HOUR, 30 * MINUTE, 6.0, 0.05),
    ("ticket", DAY, 2 * HOUR, 3.0, 0.10),
    ("ticket", 3 * DAY, 6 * HOUR, 1.0, 0.10),
]


@pytest.mark.parametrize(("severity", "long_s", "short_s", "burn", "budget"), WORKBOOK)
def test_window_threshold_is_budget_times_period_over_window(
    severity: str, long_s: float, short_s: float, burn: float, budget: float
) -> None:
    """B = f·T/W reproduces every row of the Workbook table."""
    assert threshold_burn_rate(budget, 30 * DAY, long_s) == pytest.approx(burn)


def test_workbook_preset_is_the_workbook_table() -> None:
    windows = resolve_windows("workbook", 30 * DAY)
    got = [(w.severity, w.long_s, w.short_s, round(w.burn_rate, 9)) for w in windows]
    assert got == [(s, lng, sht, b) for s, lng, sht, b, _ in WORKBOOK]


def test_budget_consumed_by_a_window_at_its_threshold() -> None:
    """Burning at B for W consumes exactly B·W/T of the budget (the table's last column)."""
    for _severity, long_s, _short_s, burn, budget in WORKBOOK:
        assert burn * long_s / (30 * DAY) == pytest.approx(budget)


def test_detection_time_of_a_full_outage() -> None:
    """Workbook: a 100% outage trips the 14.4x/1h alert after 0.864 minutes (~52 s) at 99.9%."""
    assert detection_time(14.4, HOUR, 0.999, 1.0) == pytest.approx(0.864 * 60)
    # an error rate below the threshold never trips it
    assert detection_time(14.4, HOUR, 0.999, 0.01) == math.inf


def test_burn_rate_and_budget() -> None:
    assert burn_rate(36, 1000, 0.999) == pytest.approx(36.0)
    assert burn_rate(0, 0, 0.999) is None
    assert budget_consumed(1, 1000, 0.999) == pytest.approx(1.0)
    assert remaining_budget(5, 10_000, 0.999) == pytest.approx(0.5)
    assert remaining_budget(20, 10_000, 0.999) == pytest.approx(-1.0)


def test_time_to_exhaustion() -> None:
    """Half the budget left at burn rate 2 lasts a quarter of the period."""
    assert time_to_exhaustion(0.5, 2.0, 30 * DAY) == pytest.approx(7.5 * DAY)
    assert time_to_exhaustion(0.5, 0.0, 30 * DAY) == math.inf
    assert time_to_exhaustion(-0.1, 5.0, 30 * DAY) == 0.0


def test_ratios_are_volume_weighted_not_averaged() -> None:
    """A busy hour with 1% errors and a quiet hour with 50% errors: the SLI weighs events, not hours."""
    busy, quiet = Counts(bad=100, total=10_000), Counts(bad=1, total=2)
    both = busy + quiet
    assert both.ratio == pytest.approx(1 - 101 / 10_002)
    averaged = ((busy.ratio or 0) + (quiet.ratio or 0)) / 2  # what Sloth's 30d recording does
    assert abs((both.ratio or 0) - averaged) > 0.2


def test_timeslices_and_ratio_timeslices() -> None:
    slices = [Counts(0, 100), Counts(10, 100), Counts(1, 100), Counts(0, 0)]
    assert timeslices(slices, 0.95) == pytest.approx(2 / 3)  # the empty slice carries no verdict
    assert ratio_timeslices(slices) == pytest.approx((1 + 0.9 + 0.99) / 3)
    assert timeslices([Counts(1, 2)], 0.95, min_events=10) is None


def test_status_follows_the_budgeting_method() -> None:
    """Occurrences weighs events; Timeslices counts good slices; RatioTimeslices averages slice ratios."""
    from pavedroad.slo import parse_specs, status

    doc = {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "s"},
        "spec": {
            "service": "svc",
            "budgetingMethod": "Timeslices",
            "indicator": {
                "metadata": {"name": "i"},
                "spec": {
                    "ratioMetric": {
                        "good": {"metricSource": {"type": "pavedroad", "spec": {}}},
                        "total": {"metricSource": {"type": "pavedroad", "spec": {}}},
                    }
                },
            },
            "objectives": [{"target": 0.9, "timeSliceTarget": 0.95, "timeSliceWindow": "1m"}],
        },
    }
    (slo,) = parse_specs([doc])
    slices = [Counts(0, 100)] * 8 + [Counts(50, 100)] * 2  # 2 bad minutes of 10 ⇒ 80% good slices
    period = sum(slices, Counts())
    result = status(slo, {slo.period_s: period}, now=0.0, slices=slices)
    assert result.sli == pytest.approx(0.8)
    assert result.budget_remaining == pytest.approx(1 - 2 / (0.1 * 10))
    ratio = slo.model_copy(update={"budgeting": "RatioTimeslices"})
    assert status(ratio, {slo.period_s: period}, now=0.0, slices=slices).sli == pytest.approx(0.9)
    occurrences = slo.model_copy(update={"budgeting": "Occurrences"})
    assert status(occurrences, {slo.period_s: period}, now=0.0).sli == pytest.approx(0.9)
