"""Policies: who may see and do what, written once in Cedar and enforced as decisions, field access and
row filters.

A deployment's ``PolicyEngine`` holds the platform's policy set and each tenant's (which only narrow),
validated at load against the schema generated from the semantic model; ``is_allowed`` decides a request
through generated Python; ``row_filter`` is the partial evaluation of ``read`` for a principal, a
condition the query guard leads every query on that entity with; ``PolicyFieldAccess`` is the compiler's
field policy from the same policies.
"""

from pavedroad.policy.analysis import diff_access, run_policy_tests, who_can
from pavedroad.policy.engine import Authorizer, Decision, PolicySet
from pavedroad.policy.entities import Entities, Entity, Record, uid
from pavedroad.policy.errors import PolicyError
from pavedroad.policy.fields import PolicyFieldAccess, field_entity
from pavedroad.policy.loader import PolicyEngine, principal_entity
from pavedroad.policy.parse import Policy, parse_policies
from pavedroad.policy.partial import Residual
from pavedroad.policy.schema import ACTIONS, FIELD_ACTION, READ_ACTION, cedar_schema

__all__ = [
    "ACTIONS",
    "FIELD_ACTION",
    "READ_ACTION",
    "Authorizer",
    "Decision",
    "Entities",
    "Entity",
    "Policy",
    "PolicyEngine",
    "PolicyError",
    "PolicyFieldAccess",
    "PolicySet",
    "Record",
    "Residual",
    "cedar_schema",
    "diff_access",
    "field_entity",
    "parse_policies",
    "principal_entity",
    "run_policy_tests",
    "uid",
    "who_can",
]
