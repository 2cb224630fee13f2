"""Field access: a role-by-classification matrix, restricted fields, and the compiler's policy port.

Guarantees. ``AccessMatrix.allows(role, label, aggregate=...)`` is a pure table lookup: each role has the
highest class it may see in rows and the highest it may see in aggregates (``sensitive`` is never
visible in rows). ``restricted`` fields (e.g. compensation) are visible only to the roles listed for
them, whatever their class; a field classified with a restricted *category* (a tenant's custom field
defined as ``compensation``) is visible only to the roles ``categories`` lists for it, and to nobody
when the category is not listed (fail closed). ``FieldAccessPolicy`` implements ``pavedroad.query.FieldPolicy`` from the
matrix, so a field a role may not use reads as *unknown* in compile errors; its ``version`` changes
whenever the matrix does, so compiled-query caches never serve an old decision. The label of a derived
value (expression, measure) is the ``join`` of its inputs, computed by the compiler's policy pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from pavedroad.privacy.classification import Classification
from pavedroad.query import Classification as QueryClass
from pavedroad.query import FieldUse

__all__ = ["DEFAULT_MATRIX", "AccessMatrix", "FieldAccessPolicy", "RoleGrant"]

C = Classification


@dataclass(frozen=True)
class RoleGrant:
    """The highest class a role may see in individual rows, and in aggregates (``None``: nothing)."""

    rows: Classification
    aggregates: Classification | None = None

    def allows(self, label: Classification, *, aggregate: bool) -> bool:
        if label is C.SENSITIVE and not aggregate:
            return False  # special-category data is only ever shown as suppressed aggregates
        ceiling = self.aggregates if aggregate and self.aggregates is not None else self.rows
        return label.rank <= ceiling.rank


@dataclass(frozen=True)
class AccessMatrix:
    """``grants[role]``, ``restricted[(entity, field)] = roles`` (compensation and the like) and
    ``categories[name] = roles`` for fields classified with a restricted category."""

    grants: Mapping[str, RoleGrant]
    restricted: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    categories: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, role: str, label: Classification, *, aggregate: bool = False) -> bool:
        grant = self.grants.get(role)
        return grant is not None and grant.allows(label, aggregate=aggregate)

    def allows_field(
        self,
        role: str,
        entity: str,
        name: str,
        label: Classification,
        *,
        aggregate: bool = False,
        category: str | None = None,
    ) -> bool:
        roles = self.restricted.get((entity, name))
        if roles is not None and role not in roles:
            return False
        if category is not None and role not in self.categories.get(category, frozenset()):
            return False
        return self.allows(role, label, aggregate=aggregate)

    def with_restricted(self, restricted: Mapping[tuple[str, str], frozenset[str]]) -> AccessMatrix:
        return AccessMatrix(self.grants, {**self.restricted, **restricted}, self.categories)

    @property
    def version(self) -> str:
        text = repr(sorted((r, g.rows.value, g.aggregates and g.aggregates.value) for r, g in self.grants.items()))
        text += repr(sorted((k, sorted(v)) for k, v in self.restricted.items()))
        text += repr(sorted((k, sorted(v)) for k, v in self.categories.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


# The default matrix. Relationship rules (own jobs, own interviews, confidential jobs) narrow the *rows*
# further; this table only says which classes of fields each role may see at all.
DEFAULT_MATRIX = AccessMatrix(
    {
        "admin": RoleGrant(rows=C.PERSONAL, aggregates=C.SENSITIVE),
        "recruiter": RoleGrant(rows=C.PERSONAL),
        "hiring_manager": RoleGrant(rows=C.PERSONAL),
        "interviewer": RoleGrant(rows=C.PERSONAL),
        # Compliance reviews process and diversity reports, not people: no personal or confidential rows.
        "compliance": RoleGrant(rows=C.INTERNAL, aggregates=C.SENSITIVE),
    },
    # Compensation (a custom field defined as ``compensation``) only for admins and recruiters.
    categories={"compensation": frozenset({"admin", "recruiter"})},
)


class FieldAccessPolicy:
    """``pavedroad.query.FieldPolicy`` from an ``AccessMatrix`` (the compiler's policy pass calls it).

    The port carries no "in an aggregate" flag, so a sensitive field is allowed here for roles that may
    see it in aggregates, and ``shape.check_shape`` refuses any query that would show it outside one.
    """

    def __init__(self, matrix: AccessMatrix = DEFAULT_MATRIX) -> None:
        self.matrix = matrix
        self.version = f"privacy-{matrix.version}"

    def allows(self, role: str, field: FieldUse) -> bool:
        label = Classification(QueryClass(field.classification).name)
        aggregate = label is C.SENSITIVE
        return self.matrix.allows_field(
            role, field.entity, field.name, label, aggregate=aggregate, category=field.category
        )
