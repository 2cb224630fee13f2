"""A guard finding: one violation, one line, always with the fix."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True, order=True)
class Finding:
    """One violation: ``code subject: message — fix: fix`` (codes G1xx catalog, M2xx migrations)."""

    code: str
    subject: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.code} {self.subject}: {self.message} — fix: {self.fix}"
