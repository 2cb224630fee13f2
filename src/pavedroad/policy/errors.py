"""Policy errors: a policy set that cannot be loaded is a 400 naming the policy and why."""

from __future__ import annotations

from pavedroad.errors import InvalidInput

__all__ = ["PolicyError"]


class PolicyError(InvalidInput):
    """A policy set is malformed, fails the schema, or uses Cedar the engine cannot enforce (in Python
    and in SQL); raised at load, so a policy set that loads is one that is enforced everywhere."""

    default_code = "P001"
