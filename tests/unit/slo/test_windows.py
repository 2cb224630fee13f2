"""Durations and window presets."""

from __future__ import annotations

import pytest

from pavedroad.errors import InvalidInput
from pavedroad.slo import parse_duration, resolve_windows
from pavedroad.slo.windows import DAY, HOUR, format_duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("5m", 300), ("1h30m", 5400), ("30d", 30 * DAY), ("4w", 28 * DAY), ("250ms", 0.25)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30 * DAY, "30d"),
        (28 * DAY, "4w"),
        (7 * DAY, "1w"),
        (DAY, "1d"),
        (72 * HOUR, "3d"),
        (5400, "1h30m"),
        (300, "5m"),
    ],
)
def test_format_duration_like_prometheus(seconds: float, text: str) -> None:
    """Weeks and years only when exact, as Prometheus prints them (Sloth's window names)."""
    assert format_duration(seconds) == text


def test_bad_duration_and_preset_are_refused_with_a_hint() -> None:
    with pytest.raises(InvalidInput, match="not a duration") as err:
        parse_duration("soon")
    assert err.value.hint
    with pytest.raises(InvalidInput, match="unknown alert window preset"):
        resolve_windows("nope", 30 * DAY)


def test_sloth_preset_scales_burn_rates_with_the_period() -> None:
    """Sloth's 28d windows: 13.44, 5.6, 2.8, 0.933 (same budget shares, shorter period)."""
    rates = [w.burn_rate for w in resolve_windows("sloth", 28 * DAY)]
    assert rates == pytest.approx([13.44, 5.6, 2.8, 0.9333333], rel=1e-6)


def test_pyrra_preset_scales_windows_with_the_period() -> None:
    """Pyrra: fixed factors 14/7/2/1; windows proportional to the period (1h long at 28d)."""
    w28 = resolve_windows("pyrra", 28 * DAY)
    assert [w.burn_rate for w in w28] == [14, 7, 2, 1]
    assert [w.long_s for w in w28] == [HOUR, 6 * HOUR, DAY, 4 * DAY]
    w7 = resolve_windows("pyrra", 7 * DAY)
    assert w7[0].long_s == pytest.approx(HOUR / 4)
    assert w28[0].for_s == 120
