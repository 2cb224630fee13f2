"""What a seed run loaded: rows per table, wall time, the tenants it created."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SeedReport"]


@dataclass
class SeedReport:
    """Rows loaded per table, seconds taken and the new tenants' ids (largest first)."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    tenants: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """A few lines with Rich markup: totals, throughput, tenants, then rows per table."""
        shown = ", ".join(self.tenants[:8]) + (f" and {len(self.tenants) - 8} more" if len(self.tenants) > 8 else "")
        lines = [
            f"[bold green]seeded[/] {self.rows.get('applications', 0):,} applications "
            f"({self.total_rows:,} rows) in {self.seconds:.1f}s — {self.rows_per_second:,.0f} rows/s",
            f"tenants: {shown}",
        ]
        width = max((len(name) for name in self.rows), default=0)
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.rows.items()]
        return "\n".join(lines)
