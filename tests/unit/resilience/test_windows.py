"""Sliding windows: immutable, O(1) updates, exact counts of what is still inside."""

from __future__ import annotations

import pytest

from pavedroad.resilience import CountWindow, TimeWindow


def test_count_window_keeps_the_last_n() -> None:
    window = CountWindow.empty(3)
    for failed, slow in [(True, True), (False, False), (True, False), (False, True)]:
        window = window.add(0.0, failed, slow)
    assert (window.calls, window.failures, window.slow) == (3, 1, 1)


def test_count_window_is_immutable() -> None:
    empty = CountWindow.empty(2)
    added = empty.add(0.0, True, False)
    assert empty.calls == 0
    assert added.calls == 1


def test_a_healthy_full_window_is_returned_unchanged() -> None:
    """The common case allocates nothing: full of successes plus one more success."""
    window = CountWindow.empty(2).add(0.0, False, False).add(0.0, False, False)
    assert window.add(0.0, False, False) is window
    assert window.add(0.0, True, False) is not window


def test_time_window_buckets_and_expiry() -> None:
    window = TimeWindow.empty(10.0)
    window = window.add(0.0, True, False).add(0.5, False, True).add(5.0, True, False)
    assert (window.calls, window.failures, window.slow) == (3, 2, 1)
    window = window.add(10.5, False, False)  # 0.0 and 0.5 are out, 5.0 is in
    assert (window.calls, window.failures, window.slow) == (2, 1, 0)
    assert window.expire(100.0).calls == 0


def test_reset_empties() -> None:
    assert CountWindow.empty(3).add(0.0, True, True).reset().calls == 0
    assert TimeWindow.empty(3).add(0.0, True, True).reset().calls == 0


@pytest.mark.parametrize("factory", [lambda: CountWindow.empty(0), lambda: TimeWindow.empty(0)])
def test_empty_windows_are_refused(factory) -> None:
    with pytest.raises(ValueError):
        factory()
