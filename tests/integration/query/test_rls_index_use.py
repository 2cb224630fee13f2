"""Under row-level security, the predicates the compiler emits still reach the index.

Postgres evaluates a non-leakproof qual only after the RLS policy, so it cannot be an index condition;
the cross-type comparisons (timestamptz with date or timestamp) are not leakproof. These tests plan the
compiled SQL as the application role, where RLS applies, and read where each predicate landed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pavedroad.query import load_tenant_schema
from pavedroad.query.compiler import Compiler
from pavedroad.recruiting.model import recruiting_model
from pavedroad.tenancy import Principal, Role, transaction
from tests.integration.query.conftest import NOW, Loaded


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


@pytest.mark.parametrize(
    "where",
    [
        "applied_at >= today() - 365 days",
        "applied_at >= today()",
        "applied_at between today() - 30 days and now()",
        "applied_at > now() - 7 days",
    ],
)
def test_date_windows_are_index_conditions_under_rls(loaded: Loaded, where: str) -> None:
    tenant = loaded.tenants[0]
    with transaction(loaded.pool, Principal(tenant, None, Role.ADMIN)) as conn:
        schema = load_tenant_schema(conn, tenant)
        compiled = Compiler().compile(
            f"applications | where {where} | aggregate n = count()",
            model=recruiting_model(), schema=schema, role="admin", now=NOW,
        )  # fmt: skip
        assert conn.execute("select current_user").fetchone() == ("pavedroad_app",)  # RLS applies to this role
        conn.execute("set local enable_seqscan = off")  # plan with an index, then ask where the window went
        row = conn.execute(b"EXPLAIN (FORMAT JSON) " + compiled.sql.encode(), compiled.params).fetchone()
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    scans = [n for n in _nodes(plan[0]["Plan"]) if n.get("Relation Name") == "applications" or "Index Cond" in n]
    conds = " ".join(n.get("Index Cond", "") for n in scans)
    assert "applied_at" in conds, scans
    assert not any("applied_at" in n.get("Filter", "") for n in scans), scans
