"""Every table scan in the plan — the query's entity, each join, each branch subquery and each
semi-join — carries the tenant predicate ``<alias>.<tenant_column> = :tenant`` (a bound parameter).

This is the compiler's tenant wall (Postgres row-level security is the second). ``lower`` renders the
predicate inside the scan's own SELECT (WHERE for a FROM, ON for a JOIN); ``verify`` re-checks the
emitted SQL independently, so a scan this pass missed can never reach the database.
"""

from __future__ import annotations

from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import InternalCompilerError
from pavedroad.query.passes.plan_joins import Plan

__all__ = ["TENANT_PARAM", "scope_tenant"]

TENANT_PARAM = "tenant"


def scope_tenant(query: QueryState, ctx: Context) -> QueryState:
    """Every table scan in the plan carries the tenant predicate as a bound parameter."""
    del ctx
    plan = query.plan
    if not isinstance(plan, Plan):
        raise InternalCompilerError("scope_tenant ran before plan_joins")
    for scan in plan.scans():
        scan.scoped = True
    return query
