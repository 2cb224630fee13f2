"""Small-group suppression with complementary suppression, so no hidden cell can be recovered.

Guarantees of ``plan_suppression(cells, k)`` for a grouped result (cells keyed by their group values,
each with the number of people it counts):

1. *Primary*: every cell counting 1..k-1 people is suppressed (a cell of 0 reveals nothing).
2. *Complement of a filter*: when the caller filtered, each cell is also compared with the same group
   without the filter (its ``reference`` count); a difference of 1..k-1 is suppressed, so two
   overlapping queries cannot be subtracted to isolate fewer than k people.
3. *Complementary*: in every line of the table (all cells sharing the values of every dimension but one,
   and the whole table, whose total anyone can ask for) the suppressed cells are either none, or at
   least two whose counts add up to k or more; otherwise the smallest visible cell of the line is
   suppressed too, repeatedly until every line holds. So totals, per-line subtotals and
   percent-of-total figures only ever reveal the sum of ≥ 2 hidden cells, never below k.

A suppressed cell loses its group values as well as every measure (counts, rates, averages): the keys
of a small group are themselves what it would disclose (the gender of the one person in it), so the
response says only *that* a group was suppressed, never which one or its value. Pure: no I/O,
deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = ["Cell", "plan_suppression", "suppress_rows"]

DEFAULT_K = 5


@dataclass(frozen=True)
class Cell:
    key: tuple[Hashable, ...]
    count: int
    reference: int | None = None  # the same group's count without the caller's filters


def _primary(cell: Cell, k: int) -> bool:
    if 0 < cell.count < k:
        return True
    return cell.reference is not None and 0 < cell.reference - cell.count < k


def _lines(cells: Sequence[Cell]) -> list[list[int]]:
    dims = len(cells[0].key) if cells else 0
    lines: list[list[int]] = [list(range(len(cells)))]  # the whole table: its total is always askable
    for d in range(dims if dims > 1 else 0):
        groups: dict[tuple[Hashable, ...], list[int]] = defaultdict(list)
        for i, cell in enumerate(cells):
            groups[cell.key[:d] + cell.key[d + 1 :]].append(i)
        lines.extend(groups.values())
    return lines


def plan_suppression(cells: Sequence[Cell], k: int = DEFAULT_K) -> set[int]:
    """Indexes of the cells to suppress (see the module docstring for the guarantees)."""
    if k < 2:
        raise ValueError("k must be at least 2")
    hidden = {i for i, cell in enumerate(cells) if _primary(cell, k)}
    lines = _lines(cells)
    changed = True
    while changed:
        changed = False
        for line in lines:
            inside = [i for i in line if i in hidden]
            if not inside:
                continue
            if len(inside) >= 2 and sum(cells[i].count for i in inside) >= k:
                continue
            visible = sorted((i for i in line if i not in hidden), key=lambda i: (cells[i].count, i))
            if visible:
                hidden.add(visible[0])
                changed = True
    return hidden


def suppress_rows(
    rows: Sequence[Sequence[object]],
    key_positions: Sequence[int],
    count_position: int,
    k: int = DEFAULT_K,
    references: dict[tuple[Hashable, ...], int] | None = None,
) -> tuple[list[list[object]], list[bool]]:
    """Rows with every value of suppressed cells (keys included) set to ``None``, and a suppressed flag
    per row; the plan is made on the keys and counts before any is blanked."""
    cells = []
    for row in rows:
        key = tuple(_hashable(row[p]) for p in key_positions)
        count = int(row[count_position] or 0)  # type: ignore[call-overload]
        cells.append(Cell(key, count, None if references is None else references.get(key, count)))
    hidden = plan_suppression(cells, k)
    out: list[list[object]] = [[None] * len(row) if i in hidden else list(row) for i, row in enumerate(rows)]
    return out, [i in hidden for i in range(len(rows))]


def _hashable(value: object) -> Hashable:
    return value if isinstance(value, Hashable) else repr(value)
