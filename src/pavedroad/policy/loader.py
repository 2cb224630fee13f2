"""A deployment's policies: the platform set and each tenant's, loaded against the semantic model.

Guarantees of ``PolicyEngine``: a policy set loads only if it parses, type-checks against the schema
generated from the model (``schema``), compiles to Python (``codegen``) and — for the ``read`` action on
every model entity — to SQL (``partial.check_filterable``); otherwise ``PolicyError`` at load. A tenant's
set only narrows the platform's (``engine.Authorizer``), for decisions and for row filters alike.
``row_filter`` is the residual of ``read`` for a principal and an entity: what the query guard puts in
front of every query on that entity (``privacy.queries``).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pavedroad.policy.engine import Authorizer, Decision, PolicySet, action_uid
from pavedroad.policy.entities import UID, Entities, Entity, Record
from pavedroad.policy.fields import PolicyFieldAccess
from pavedroad.policy.parse import parse_policies
from pavedroad.policy.partial import Residual, both, check_filterable, residual
from pavedroad.policy.schema import ACTIONS, READ_ACTION, cedar_schema, filter_fields, validate
from pavedroad.query import SemanticModel
from pavedroad.tenancy import Principal

__all__ = ["PolicyEngine", "principal_entity"]

_FILTER_CACHE = 4096


def principal_entity(principal: Principal) -> Entity:
    """A tenancy principal as a Cedar ``User``: its role and user id as attributes, in its ``Role``."""
    role = principal.role.value
    ident = str(principal.user_id) if principal.user_id is not None else f"{role}:anonymous"
    attrs: dict[str, Any] = {"role": role}
    if principal.user_id is not None:
        attrs["user_id"] = principal.user_id
    return Entity(("User", ident), Record(attrs), frozenset({("Role", role)}))


class PolicyEngine:
    """Platform and tenant policy sets for one semantic model (see the module docstring)."""

    def __init__(self, model: SemanticModel, platform: str, *, source: str = "platform",
                 actions: Sequence[str] = ACTIONS) -> None:  # fmt: skip
        self.model = model
        self.schema = cedar_schema(model, actions)
        self.fields = filter_fields(model)
        self.platform = self._load(platform, source, narrowing=False)
        self.tenants: dict[str, PolicySet] = {}
        self._filters: OrderedDict[tuple[Any, ...], Residual] = OrderedDict()

    @classmethod
    def from_files(cls, model: SemanticModel, paths: Sequence[Path]) -> PolicyEngine:
        text = "\n".join(p.read_text() for p in paths)
        return cls(model, text, source=", ".join(p.name for p in paths))

    def _load(self, text: str, source: str, *, narrowing: bool) -> PolicySet:
        policies = parse_policies(text, source=source)  # syntax first: its error is the clearest
        validate(text, self.schema, source=source)
        ps = PolicySet(policies, Entities(), narrowing, text)
        read = Entity(action_uid(READ_ACTION))
        for entity in self.model.entities:
            check_filterable(ps.policies, read, entity, self.fields)
        return ps

    def set_tenant(self, tenant: str, text: str, *, source: str | None = None) -> None:
        """Load (or replace) a tenant's policies; they can only narrow the platform's."""
        self.tenants[tenant] = self._load(text, source or f"tenant {tenant}", narrowing=True)
        self._filters.clear()

    def authorizer(self, tenant: str | None = None) -> Authorizer:
        return Authorizer(self.platform, self.tenants.get(tenant) if tenant else None)

    @functools.cached_property
    def field_access(self) -> PolicyFieldAccess:
        """The compiler's field policy: the platform's ``use_field`` policies (field access is platform-wide,
        because compiled queries are cached per role)."""
        return PolicyFieldAccess(self.authorizer())

    @property
    def version(self) -> str:
        return self.platform.version + "".join(f"{t}:{s.version}" for t, s in sorted(self.tenants.items()))

    def is_allowed(
        self, principal: Principal | Entity, action: str | UID, resource: Entity | UID,
        context: Mapping[str, Any] | None = None, *, tenant: str | None = None, entities: Entities | None = None,
    ) -> Decision:  # fmt: skip
        """The decision for a request; a tenancy ``Principal`` decides under its own tenant's policies."""
        if isinstance(principal, Principal):
            tenant = principal.tenant_id
            principal = principal_entity(principal)
        az = self.authorizer(tenant)
        return az.is_allowed(principal, action, resource, context, entities or Entities())

    def row_filter(self, principal: Principal, entity: str, *, action: str = READ_ACTION) -> Residual:
        """Rows of ``entity`` the principal may ``action``: ``True``, ``False`` or a JSON-form condition."""
        key = (principal.tenant_id, principal.role.value, principal.user_id, entity, action)
        hit = self._filters.get(key)
        if hit is not None:
            return hit
        p = principal_entity(principal)
        act = Entity(action_uid(action))
        out = residual(self.platform.policies, p, act, entity, self.fields)
        tenant = self.tenants.get(principal.tenant_id)
        if tenant is not None and out is not False:
            out = both(out, residual(tenant.policies, p, act, entity, self.fields, narrowing=True))
        self._filters[key] = out
        if len(self._filters) > _FILTER_CACHE:
            self._filters.popitem(last=False)
        return out
