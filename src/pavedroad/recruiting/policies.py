"""The recruiting platform's policies (``policies.cedar``), loaded once per process against the model.

They decide field access for every principal's query (``reads.GUARDRAILS``) and platform actions;
tenants' own policies (``PolicyEngine.set_tenant``) narrow them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pavedroad.policy import PolicyEngine
from pavedroad.recruiting.model import recruiting_model

__all__ = ["POLICY_FILE", "recruiting_policies"]

POLICY_FILE = "policies.cedar"


@cache
def recruiting_policies() -> PolicyEngine:
    """The validated platform policy set shipped with pavedroad (a ``PolicyError`` if it does not load)."""
    text = resources.files("pavedroad.recruiting").joinpath(POLICY_FILE).read_text()
    return PolicyEngine(recruiting_model(), text, source=f"pavedroad/recruiting/{POLICY_FILE}")
