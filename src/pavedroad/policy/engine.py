"""Decisions: ``Authorizer.is_allowed(principal, action, resource, context) -> Decision``.

A ``PolicySet`` is a loaded, checked and compiled list of policies; the decision function for an action
is generated on first use (``codegen``) and cached, so a decision is one call into generated Python.
An ``Authorizer`` is a platform set and, optionally, one tenant's set. A tenant set only narrows: a
request is allowed only when the platform allows it, no tenant forbid holds and — if the tenant has
permits for that action and resource type — one of them holds too. So no tenant policy can grant what the platform does
not (``tests/unit/policy/test_tenant_narrowing.py`` checks it on random sets).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pavedroad.policy.codegen import Decider, check, compile_decider
from pavedroad.policy.entities import UID, Entities, Entity, Record
from pavedroad.policy.parse import Policy, parse_policies

__all__ = ["Authorizer", "Decision", "PolicySet", "action_uid"]

_NO_ENTITIES = Entities()


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed or not, and the ids of the policies that decided (the forbids that held on a deny, the
    permits that held on an allow; none when nothing permitted)."""

    allowed: bool
    policy_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed


def action_uid(action: str | UID) -> UID:
    """``"read"`` or ``("Action", "read")`` as an action uid."""
    return ("Action", action) if isinstance(action, str) else action


@dataclass
class PolicySet:
    """Policies checked at construction (anything the engine cannot enforce is a ``PolicyError``) and
    compiled per action on first use. ``actions`` holds the action hierarchy (``action in ...``)."""

    policies: Sequence[Policy]
    actions: Entities = field(default_factory=Entities)
    narrowing: bool = False
    text: str = ""
    _deciders: dict[Any, Decider] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check(self.policies)

    @classmethod
    def from_text(cls, text: str, *, source: str = "<policies>", actions: Entities | None = None,
                  narrowing: bool = False) -> PolicySet:  # fmt: skip
        return cls(parse_policies(text, source=source), actions or Entities(), narrowing, text)

    @property
    def version(self) -> str:
        """Changes whenever the policies do (part of compiled-query cache keys)."""
        return hashlib.sha256(repr([p.est for p in self.policies]).encode()).hexdigest()[:12]

    def decider(self, action: str | UID, resource_type: str = "") -> Decider:
        """The decision function for ``action`` (a narrowing set's also depends on the resource type)."""
        key = (action, resource_type) if self.narrowing else action
        d = self._deciders.get(key)
        if d is None:
            act = self.actions.entity(action_uid(action))
            d = compile_decider(self.policies, act, narrowing=self.narrowing, resource_type=resource_type)
            self._deciders[key] = d
        return d


def _entity(x: Entity | UID, entities: Entities) -> Entity:
    return x if type(x) is Entity else entities.entity(x)  # type: ignore[arg-type]


@dataclass
class Authorizer:
    """The platform's policies, narrowed by one tenant's (``tenant`` may be ``None``)."""

    platform: PolicySet
    tenant: PolicySet | None = None

    def __post_init__(self) -> None:
        if self.tenant is not None and not self.tenant.narrowing:
            self.tenant = PolicySet(self.tenant.policies, self.tenant.actions, True, self.tenant.text)

    @property
    def version(self) -> str:
        return self.platform.version + (self.tenant.version if self.tenant else "")

    def is_allowed(
        self,
        principal: Entity | UID,
        action: str | UID,
        resource: Entity | UID,
        context: Mapping[str, Any] | None = None,
        entities: Entities = _NO_ENTITIES,
    ) -> Decision:
        """Cedar's decision for the request (see the module docstring for the tenant's part)."""
        p, r = _entity(principal, entities), _entity(resource, entities)
        c = context if type(context) is Record else Record(context or {})
        ok, ids = self.platform.decider(action)(p, r, c, entities)
        if ok and self.tenant is not None:
            ok2, ids2 = self.tenant.decider(action, r.uid[0])(p, r, c, entities)
            return Decision(True, ids + ids2) if ok2 else Decision(False, ids2)
        return Decision(ok, ids)
