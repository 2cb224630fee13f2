"""'Who flips': before publishing a change, count the tenants and users whose answer would change.

Pure: both versions of the flag are compiled and evaluated for every subject at the same ``now``.
Subjects are evaluation contexts (``tenant``, ``targetingKey``, attributes); the CLI builds them from
the tenants and users tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pavedroad.flags.compiled_flag import compile_flag
from pavedroad.flags.model import Flag

__all__ = ["FlipReport", "who_flips"]


@dataclass
class FlipReport:
    """How many subjects (and distinct tenants) move, by direction ``before → after`` variant."""

    subjects: int = 0
    flipped: int = 0
    tenants: set[str] = field(default_factory=set)
    moves: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "subjects": self.subjects,
            "flipped": self.flipped,
            "tenants_affected": len(self.tenants),
            "moves": dict(sorted(self.moves.items())),
        }


def who_flips(
    key: str,
    before: Flag,
    after: Flag,
    subjects: Iterable[Mapping[str, Any]],
    *,
    now: float,
    evaluators: Mapping[str, Any] | None = None,
) -> FlipReport:
    """Evaluate ``before`` and ``after`` for every subject; count those whose variant changes."""
    old = compile_flag(key, before, evaluators, clock=lambda: now)
    new = compile_flag(key, after, evaluators, clock=lambda: now)
    report = FlipReport()
    for ctx in subjects:
        report.subjects += 1
        a, b = old.resolve(ctx)[0], new.resolve(ctx)[0]
        if a != b:
            report.flipped += 1
            move = f"{a or 'default'} → {b or 'default'}"
            report.moves[move] = report.moves.get(move, 0) + 1
            if ctx.get("tenant") is not None:
                report.tenants.add(str(ctx["tenant"]))
    return report
