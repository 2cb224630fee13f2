"""Policy analysis: who can do what, what changes between two policy sets, and a tenant's policy tests.

``who_can(engine, action, "entity.field")`` answers per role: whether the role may use the field
(``use_field``) and, for ``read``, which rows of the entity (its row filter); ``diff_access`` compares two
engines on every (role, field), (role, platform action) and (role, entity) row filter; ``run_policy_tests``
runs a YAML file of expected decisions. Roles are the platform's (``tenancy.Role``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pavedroad.policy.entities import Entity, Record
from pavedroad.policy.errors import PolicyError
from pavedroad.policy.fields import field_entity
from pavedroad.policy.loader import PolicyEngine, principal_entity
from pavedroad.policy.schema import FIELD_ACTION, READ_ACTION
from pavedroad.query import Classification, FieldUse
from pavedroad.tenancy import Principal, Role

__all__ = ["Access", "diff_access", "run_policy_tests", "who_can"]


@dataclass(frozen=True)
class Access:
    """One role's access: allowed or not, the policies that decided, and the row condition (``read``)."""

    role: str
    allowed: bool
    policy_ids: tuple[str, ...]
    rows: Any = True  # True, False or the JSON-form condition on the entity's rows

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "allowed": self.allowed, "policy_ids": list(self.policy_ids), "rows": self.rows}


def _field(engine: PolicyEngine, dotted: str) -> FieldUse:
    entity, _, name = dotted.partition(".")
    ent = engine.model.entities.get(entity)
    if ent is None or name not in ent.fields:
        known = ", ".join(sorted(engine.model.entities)) if ent is None else ", ".join(sorted(ent.fields))
        raise PolicyError(f"unknown field {dotted!r}", hint=f"write entity.field; known: {known}")
    return FieldUse(entity, name, Classification[ent.fields[name].classification])


def who_can(engine: PolicyEngine, action: str, target: str, *, tenant: str = "_") -> list[Access]:
    """Per role: may it ``action`` ``target`` (``entity.field``, or a platform action's ``Platform``)?"""
    out = []
    for role in Role:
        principal = Principal(tenant, None, role)
        if action in (READ_ACTION, FIELD_ACTION):
            use = _field(engine, target)
            d = engine.authorizer(tenant).is_allowed(("Role", role.value), FIELD_ACTION, field_entity(use))
            rows = engine.row_filter(principal, use.entity) if d.allowed else False
            out.append(Access(role.value, d.allowed and rows is not False, d.policy_ids, rows))
        else:
            d = engine.is_allowed(principal, action, ("Platform", target or "pavedroad"))
            out.append(Access(role.value, d.allowed, d.policy_ids))
    return out


def diff_access(a: PolicyEngine, b: PolicyEngine, *, tenant: str = "_") -> list[dict[str, Any]]:
    """Every (role, action, target) whose access differs from ``a`` to ``b``: gained, lost or changed rows."""
    changes: list[dict[str, Any]] = []
    for role in Role:
        principal = Principal(tenant, None, role)
        for entity, ent in a.model.entities.items():
            for name, f in ent.fields.items():
                use = FieldUse(entity, name, Classification[f.classification])
                before = a.authorizer(tenant).is_allowed(("Role", role.value), FIELD_ACTION, field_entity(use))
                after = b.authorizer(tenant).is_allowed(("Role", role.value), FIELD_ACTION, field_entity(use))
                if before.allowed != after.allowed:
                    changes.append({"role": role.value, "action": FIELD_ACTION, "target": f"{entity}.{name}",
                                    "change": "gained" if after.allowed else "lost"})  # fmt: skip
            ra, rb = a.row_filter(principal, entity), b.row_filter(principal, entity)
            if ra != rb:
                changes.append({"role": role.value, "action": READ_ACTION, "target": entity, "change": "rows",
                                "before": ra, "after": rb})  # fmt: skip
        for action in sorted(set(a.schema[""]["actions"]) - {FIELD_ACTION, READ_ACTION}):
            da = a.is_allowed(principal, action, ("Platform", "pavedroad"))
            db = b.is_allowed(principal, action, ("Platform", "pavedroad"))
            if da.allowed != db.allowed:
                changes.append({"role": role.value, "action": action, "target": "Platform",
                                "change": "gained" if db.allowed else "lost"})  # fmt: skip
    return changes


def run_policy_tests(engine: PolicyEngine, path: Path) -> list[dict[str, Any]]:
    """Run a YAML policy test file (see docs/policy.md); each case with its outcome (``passed``)."""
    try:
        spec = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot read the policy tests: {exc}") from None
    if not isinstance(spec, Mapping) or not isinstance(spec.get("cases"), list):
        raise PolicyError(f"{path}: a policy test file is a mapping with a list of cases",
                          hint="see docs/policy.md (pavedroad policy test)")  # fmt: skip
    tenant = str(spec.get("tenant", "_"))
    if spec.get("policies"):
        engine.set_tenant(tenant, (path.parent / str(spec["policies"])).read_text(), source=str(spec["policies"]))
    return [_case(engine, tenant, i, c, path) for i, c in enumerate(spec["cases"])]


def _case(engine: PolicyEngine, tenant: str, i: int, case: Any, path: Path) -> dict[str, Any]:
    try:
        who = case["principal"]
        principal = Principal(tenant, who.get("user_id"), Role(who["role"]))
        action = str(case["action"])
        expect = {"allow": True, "deny": False}[case["expect"]]
    except (KeyError, TypeError, ValueError) as exc:
        hint = "a case has principal {role, user_id}, action, field or resource, expect allow|deny"
        raise PolicyError(f"{path}: case {i + 1} is malformed ({exc})", hint=hint) from None
    if "field" in case:
        use = _field(engine, str(case["field"]))
        d = engine.authorizer(tenant).is_allowed(("Role", principal.role.value), FIELD_ACTION, field_entity(use))
    else:
        res = case.get("resource") or {"type": "Platform", "id": "pavedroad"}
        resource = Entity((str(res["type"]), str(res.get("id", "?"))), Record(res.get("attrs") or {}))
        d = engine.is_allowed(principal_entity(principal), action, resource, case.get("context"), tenant=tenant)
    return {"name": case.get("name", f"case {i + 1}"), "passed": d.allowed == expect, "allowed": d.allowed,
            "policy_ids": list(d.policy_ids)}  # fmt: skip


def render(rows: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(r, sort_keys=True) for r in rows)
