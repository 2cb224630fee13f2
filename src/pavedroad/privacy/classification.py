"""Data classes of every column, ordered from least to most protected, and how labels combine.

Guarantee: ``join`` (and ``Classification.combine``) is the least upper bound of the order
``public < internal < confidential < personal < sensitive``, so a value derived from several fields
(an expression, a measure, an aggregate) is at least as protected as the most protected input.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["Classification", "join"]


class Classification(StrEnum):
    """How protected a column is; the declaration every guardrail is driven from."""

    PUBLIC = "public"  # may be shown to anyone in the tenant (job titles, department names)
    INTERNAL = "internal"  # ids, statuses, timestamps: operational facts about the tenant's process
    CONFIDENTIAL = "confidential"  # interview feedback, compensation, confidential jobs
    PERSONAL = "personal"  # identifies a person: names, emails, phones, profile URLs
    SENSITIVE = "sensitive"  # special-category data (voluntary EEOC answers): aggregates only

    @property
    def rank(self) -> int:
        return _ORDER[self]

    def combine(self, other: Classification) -> Classification:
        """The more protected of the two labels."""
        return self if self.rank >= other.rank else other

    @classmethod
    def parse(cls, value: object) -> Classification:
        """A label from text, with the accepted values in the error."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            allowed = ", ".join(c.value for c in cls)
            raise ValueError(f"unknown classification {value!r}; expected one of {allowed}") from None


_ORDER = {c: i for i, c in enumerate(Classification)}


def join(labels: Iterable[Classification]) -> Classification:
    """The label of a value computed from fields with ``labels`` (``public`` for a constant)."""
    result = Classification.PUBLIC
    for label in labels:
        result = result.combine(label)
    return result
