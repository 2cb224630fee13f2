"""Extension points of the query block.

``QueryGuard`` is how a principal's query reaches the database: the privacy layer implements it, and
every principal-taking entry point of this block goes through it.

``FieldPolicy`` is what the compiler asks of the privacy layer: given a role and a field (with its
classification), may the caller use it? A refused field reads exactly like an unknown one (Q104), so a
caller cannot probe for fields it may not see. ``version`` is part of every compiled-query cache key:
bump it whenever decisions change. Decisions must depend only on (role, field), because compiled
queries are cached per role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pavedroad.query.model import Classification, SemanticModel

if TYPE_CHECKING:
    from pavedroad.query.options import RunOptions

__all__ = ["DefaultPolicy", "FieldPolicy", "FieldUse", "GuardedResult", "QueryGuard"]


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


@runtime_checkable
class GuardedResult(Protocol):
    """What a guarded run returns: the columns and rows the caller may see, ready for JSON."""

    rows: list[list[Any]]
    next_cursor: str | None
    compiled: Any  # the CompiledQuery that ran (the caller's query with its row rules), for display

    def to_dict(self) -> dict[str, Any]: ...


class QueryGuard(Protocol):
    """The guardrails every principal's query runs under: field access, row rules, small-group
    suppression and audit. ``pavedroad.privacy.Guardrails`` implements it; ``query.arun`` and
    ``querytools.aexplain`` (and their sync facades) take one, so a caller with a principal cannot reach
    the database around it (the unguarded drivers are named ``*_unrestricted``). ``options.policy`` is
    the guard's to set: a guard ignores the caller's."""

    async def arun(
        self, pool: Any, principal: Any, query: str | Mapping[str, Any], *, model: SemanticModel,
        options: RunOptions, duckdb: Any = None, clickhouse: Any = None,
    ) -> GuardedResult: ...  # fmt: skip

    async def aexplain(
        self, pool: Any, principal: Any, query: str | Mapping[str, Any], *, model: SemanticModel,
        options: RunOptions, analyze: bool = False, duckdb: Any = None,
    ) -> Any: ...  # fmt: skip
