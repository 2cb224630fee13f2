"""Field access as policies: the ``FieldPolicy`` port of the query compiler, decided by Cedar policies.

``PolicyFieldAccess.allows(role, field)`` asks ``is_allowed(Role::"<role>", Action::"use_field",
Field::"<entity>.<name>")`` with the field's classification rank (public 0 … sensitive 4), restricted
category (``""`` when none) and whether it is a tenant custom field as attributes. It depends only on
(role, field), as the port requires, and is cached per pair; ``version`` follows the policies.
"""

from __future__ import annotations

from pavedroad.policy.engine import Authorizer
from pavedroad.policy.entities import Entity, Record
from pavedroad.policy.schema import FIELD_ACTION
from pavedroad.query import FieldUse

__all__ = ["PolicyFieldAccess", "field_entity"]


def field_entity(field: FieldUse) -> Entity:
    """A field as a Cedar ``Field`` entity."""
    attrs = Record(entity=field.entity, name=field.name, classification=int(field.classification),
                   category=field.category or "", custom=field.custom)  # fmt: skip
    return Entity(("Field", f"{field.entity}.{field.name}"), attrs)


class PolicyFieldAccess:
    """``pavedroad.query.FieldPolicy`` from the platform's policies (field access is platform-wide)."""

    def __init__(self, authorizer: Authorizer) -> None:
        self.authorizer = authorizer
        self.version = f"policy-{authorizer.version}"
        self._cache: dict[tuple[str, FieldUse], bool] = {}

    def allows(self, role: str, field: FieldUse) -> bool:
        key = (role, field)
        hit = self._cache.get(key)
        if hit is None:
            hit = self.authorizer.is_allowed(("Role", role), FIELD_ACTION, field_entity(field)).allowed
            self._cache[key] = hit
        return hit
