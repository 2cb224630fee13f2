"""Extension points of the query block.

``FieldPolicy`` is the one port the privacy layer implements: given a role and a field (with its
classification), may the caller use it? A refused field reads exactly like an unknown one (Q104), so a
caller cannot probe for fields it may not see. ``version`` is part of every compiled-query cache key:
bump it whenever decisions change. Decisions must depend only on (role, field), because compiled
queries are cached per role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pavedroad.query.model import Classification

__all__ = ["DefaultPolicy", "FieldPolicy", "FieldUse"]


@dataclass(frozen=True, slots=True)
class FieldUse:
    """What the policy judges: a field of an entity, or a derived expression over several fields.

    ``classification`` is already the max over every column the expression reads. ``category`` names a
    restricted category (e.g. ``compensation``) a tenant's custom field was classified with: the policy
    decides which roles may see it (a policy that restricts by category refuses one it does not know).
    """

    entity: str
    name: str
    classification: Classification
    custom: bool = False
    category: str | None = None


@runtime_checkable
class FieldPolicy(Protocol):
    """May ``role`` use ``field`` in a query (filter, group, aggregate or select)?"""

    version: str

    def allows(self, role: str, field: FieldUse) -> bool: ...


class DefaultPolicy:
    """Every role may use every field except ``sensitive`` ones, which read as unknown."""

    version = "default-1"

    def allows(self, role: str, field: FieldUse) -> bool:
        del role
        return field.classification < Classification.sensitive
