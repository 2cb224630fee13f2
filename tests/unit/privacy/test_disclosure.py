"""Small-group suppression: no cell under k is shown, and none can be recovered from totals,
line subtotals, percent-of-total or an overlapping (filtered vs unfiltered) query."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.privacy import Cell, plan_suppression, suppress_rows

K = 5


def _lines(cells: list[Cell]) -> list[list[int]]:
    lines = [list(range(len(cells)))]
    dims = len(cells[0].key) if cells else 0
    for d in range(dims if dims > 1 else 0):
        groups: dict[tuple[object, ...], list[int]] = {}
        for i, c in enumerate(cells):
            groups.setdefault(c.key[:d] + c.key[d + 1 :], []).append(i)
        lines.extend(groups.values())
    return lines


def _assert_protected(cells: list[Cell], hidden: set[int], k: int = K) -> None:
    for i, c in enumerate(cells):
        if 0 < c.count < k:
            assert i in hidden, f"small cell {c} shown"
    for line in _lines(cells):
        inside = [i for i in line if i in hidden]
        if inside and len(inside) < len(line):
            # Subtracting the visible cells from the line total yields only the hidden cells' sum.
            assert len(inside) >= 2
            assert sum(cells[i].count for i in inside) >= k


def test_a_single_small_cell_gets_a_complement() -> None:
    """Totals minus visible cells would reveal the 2 if only it were hidden."""
    cells = [Cell(("female",), 2), Cell(("male",), 40), Cell(("non_binary",), 9)]
    hidden = plan_suppression(cells, K)
    assert hidden == {0, 2}
    _assert_protected(cells, hidden)


def test_two_small_cells_that_sum_below_k_pull_in_a_third() -> None:
    cells = [Cell(("a",), 1), Cell(("b",), 1), Cell(("c",), 30), Cell(("d",), 7)]
    hidden = plan_suppression(cells, K)
    assert hidden == {0, 1, 3}


def test_zero_cells_and_large_cells_are_shown() -> None:
    cells = [Cell(("a",), 0), Cell(("b",), 12), Cell(("c",), 5)]
    assert plan_suppression(cells, K) == set()


def test_two_dimensional_tables_protect_every_row_and_column() -> None:
    counts = {("eng", "f"): 3, ("eng", "m"): 20, ("sales", "f"): 8, ("sales", "m"): 9}
    cells = [Cell(k, v) for k, v in counts.items()]
    hidden = plan_suppression(cells, K)
    _assert_protected(cells, hidden)
    assert {cells[i].key for i in hidden} >= {("eng", "f"), ("sales", "f")}


def test_overlapping_filters_cannot_isolate_a_small_difference() -> None:
    """Filtered 'hired' count 9 vs unfiltered 10 would reveal the one non-hired person in that group."""
    cells = [Cell(("f",), 9, reference=10), Cell(("m",), 30, reference=60), Cell(("x",), 12, reference=20)]
    hidden = plan_suppression(cells, K)
    assert 0 in hidden
    _assert_protected(cells, hidden)


def test_suppressed_rows_lose_their_keys_and_every_measure() -> None:
    """The key of a small group is what it would disclose (the gender of its one person): blank it too."""
    rows = [["female", 2, 0.5], ["male", 40, 0.25], ["non_binary", 9, 0.1]]
    out, flags = suppress_rows(rows, [0], 1, K)
    assert flags == [True, False, True]
    assert out == [[None, None, None], ["male", 40, 0.25], [None, None, None]]


def test_a_group_keyed_by_person_shows_no_key_at_all() -> None:
    """``group candidate_id, gender``: every cell counts one person; none may show its gender."""
    rows = [[i, ("female", "male")[i % 2], 1] for i in range(12)]
    out, flags = suppress_rows(rows, [0, 1], 2, K)
    assert all(flags)
    assert all(value is None for row in out for value in row)


def test_an_ungrouped_total_under_k_is_hidden() -> None:
    out, flags = suppress_rows([[3]], [], 0, K)
    assert out == [[None]]
    assert flags == [True]


@settings(max_examples=300, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12),
    width=st.integers(min_value=1, max_value=4),
    k=st.integers(min_value=2, max_value=10),
)
def test_property_no_table_leaks_a_small_cell(counts: list[int], width: int, k: int) -> None:
    """For any 1-D or 2-D table and any k, every line hides nothing or ≥ 2 cells summing to ≥ k."""
    keys = list(itertools.product(range(len(counts)), range(width)))[: len(counts)]
    cells = [Cell(key if width > 1 else key[:1], n) for key, n in zip(keys, counts, strict=False)]
    hidden = plan_suppression(cells, k)
    _assert_protected(cells, hidden, k)
