"""Cedar text to policies: Cedar's own parser (``cedarpy``) gives the JSON form (EST) each policy is read from.

Guarantee: ``parse_policies`` returns every static policy with its id (its ``@id`` annotation, else Cedar's
``policyN``), effect, scopes and conditions; a syntax error, a template (``?principal`` slots), or two
policies with the same id is a ``PolicyError`` naming the source. What the engine can evaluate is checked
by the compilers (``codegen``, ``partial``), which refuse anything else at load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import cedarpy

from pavedroad.policy.errors import PolicyError

__all__ = ["Policy", "parse_policies", "policies_to_est"]


@dataclass(frozen=True)
class Policy:
    """One static Cedar policy in its JSON form (``principal``/``action``/``resource`` scopes, conditions)."""

    id: str
    effect: str  # "permit" or "forbid"
    principal: dict[str, Any]
    action: dict[str, Any]
    resource: dict[str, Any]
    conditions: tuple[dict[str, Any], ...]
    est: dict[str, Any]
    key: str = ""  # Cedar's own id for it (``policyN``, by position)

    @property
    def permit(self) -> bool:
        return self.effect == "permit"


def parse_policies(text: str, *, source: str = "<policies>") -> list[Policy]:
    """Every policy of ``text`` in order (a ``PolicyError`` for a syntax error, a template, a duplicate id)."""
    try:
        est = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        raise PolicyError(f"{source}: not valid Cedar: {exc}", hint="see docs/policy.md for the syntax") from None
    if est.get("templates"):
        raise PolicyError(f"{source}: templates (?principal, ?resource slots) are not supported",
                          hint="write the policy with concrete entities")  # fmt: skip
    out: list[Policy] = []
    seen: set[str] = set()
    for key, body in est.get("staticPolicies", {}).items():
        pid = str((body.get("annotations") or {}).get("id") or key)
        if pid in seen:
            raise PolicyError(f"{source}: two policies have the id {pid!r}", hint="give each policy its own @id")
        seen.add(pid)
        out.append(Policy(pid, body["effect"], body["principal"], body["action"], body["resource"],
                          tuple(body.get("conditions", ())), body, key))  # fmt: skip
    return out


def policies_to_est(policies: list[Policy]) -> str:
    """The policies as Cedar's JSON policy set keyed by our ids (what ``cedarpy.PolicySet.from_json_str``
    reads, so the reference evaluator reports the same ids)."""
    return json.dumps({"templates": {}, "templateLinks": [], "staticPolicies": {p.id: p.est for p in policies}})
