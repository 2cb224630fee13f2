"""Queries through the guardrails: field access, relationship rules, aggregate-only sensitive data,
small-group suppression and audit, around ``pavedroad.query.run``.

Guarantees of ``run_protected``: the compiler's policy pass gets ``FieldAccessPolicy`` (a field the role
may not see reads as unknown); relationship rules narrow the root entity's rows before anything else;
a query that would show or filter on a ``sensitive`` field outside an aggregate is refused as if the
field did not exist; every grouped result passes ``disclosure.suppress_rows`` with the tenant's
``min_group_size`` (the count of each cell and, when the caller filtered, of the same cell unfiltered,
come from hidden ``count()`` columns added here); every run and every refusal is audited. The grants,
the query and its audit event share one tenant transaction: a result is returned only with its audit
event committed, for one commit per query.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.privacy.access import DEFAULT_MATRIX, AccessMatrix, FieldAccessPolicy
from pavedroad.privacy.audit import AuditEvent, Outcome, arecord, arecord_denial, record, record_denial
from pavedroad.privacy.classification import Classification
from pavedroad.privacy.disclosure import suppress_rows
from pavedroad.privacy.rows import RowRule, agranted_ids, granted_ids, restrict, rules_for
from pavedroad.privacy.shape import check_shape, in_text, sensitive_fields
from pavedroad.query import Compiler, QueryError, SemanticModel, arun_in, from_json, parse_text, run_in, to_json
from pavedroad.query.compiler import default_compiler
from pavedroad.query.overlay import TenantSchema, aload_tenant_schema, load_tenant_schema
from pavedroad.tenancy import Principal, atransaction, transaction

__all__ = ["ProtectedResult", "arun_protected", "run_protected"]

COUNT = "privacy_group_n"
_AGG_STEPS = ("group", "aggregate")


@dataclass
class ProtectedResult:
    columns: list[dict[str, Any]]
    rows: list[list[Any]]
    suppressed: list[bool] = field(default_factory=list)
    min_group_size: int = 5
    next_cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"columns": self.columns, "rows": self.rows, "next_cursor": self.next_cursor}
        if any(self.suppressed):
            body["suppressed"] = self.suppressed
            body["suppression"] = (
                f"{sum(self.suppressed)} group(s) hidden: fewer than {self.min_group_size} people, or a group"
                " that would let a hidden one be recovered by subtraction"
            )
        return body


def _with_count(query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add the hidden count to the first aggregate (adding one after a bare group); return keys count."""
    steps = copy.deepcopy(query["steps"])
    keys = 0
    counter = {"name": COUNT, "expr": {"call": "count", "args": []}}
    for i, step in enumerate(steps):
        if "group" in step:
            keys = len(step["group"])
            if i + 1 >= len(steps) or "aggregate" not in steps[i + 1]:
                steps.insert(i + 1, {"aggregate": [counter]})
                break
        elif "aggregate" in step:
            step["aggregate"] = [*step["aggregate"], counter]
            break
    return {**query, "steps": steps}, keys


def _reference(query: dict[str, Any], leading: int) -> dict[str, Any] | None:
    """The same groups without the caller's filters (only when there were any), counting people."""
    steps = query["steps"]
    first = next(i for i, s in enumerate(steps) if any(k in s for k in _AGG_STEPS))
    filters = [s for s in steps[leading:first] if "where" in s]
    if not filters:
        return None
    kept = [s for s in steps[leading:first] if "derive" in s]
    group = [s for s in steps[first : first + 1] if "group" in s]
    count = {"aggregate": [{"name": COUNT, "expr": {"call": "count", "args": []}}]}
    return {"from": query["from"], "steps": [*steps[:leading], *kept, *group, count]}


def _as_json(query: str | Mapping[str, Any]) -> dict[str, Any]:
    """The canonical JSON form; a malformed one is the compiler's structured error, before any analysis."""
    if isinstance(query, str):
        return to_json(parse_text(query))
    return to_json(from_json(query))


@dataclass(frozen=True)
class _Plan:
    """What the drivers execute: the restricted query, its unfiltered reference, where the keys are."""

    query: dict[str, Any]
    reference: dict[str, Any] | None
    aggregate: bool
    keys: int


def _plan(
    q: dict[str, Any], rules: Sequence[RowRule], grants: list[list[int]], user_id: int | None, aggregate: bool
) -> _Plan:
    restricted = restrict(q, rules, grants, user_id)
    if not aggregate:
        return _Plan(restricted, None, False, 0)
    counted, keys = _with_count(restricted)
    return _Plan(counted, _reference(counted, len(rules)), True, keys)


def _finish(plan: _Plan, result: Any, reference_rows: list[tuple[Any, ...]] | None, k: int) -> ProtectedResult:
    names = [c.name for c in result.columns]
    rows = [list(r) for r in result.rows]
    suppressed = [False] * len(rows)
    if plan.aggregate:
        references = None
        if reference_rows is not None:
            references = {tuple(r[: plan.keys]): int(r[-1] or 0) for r in reference_rows}
        count_at = names.index(COUNT)
        rows, suppressed = suppress_rows(rows, list(range(plan.keys)), count_at, k, references)
        rows = [r[:count_at] + r[count_at + 1 :] for r in rows]
    columns = [
        {"name": c.name, "type": c.type, "classification": c.classification} for c in result.columns if c.name != COUNT
    ]
    return ProtectedResult(columns, rows, suppressed, k, result.next_cursor)


async def _error_in_text(
    pool: AsyncConnectionPool,
    principal: Principal,
    text: str,
    *,
    model: SemanticModel,
    policy: FieldAccessPolicy,
    params: dict[str, Any] | None,
    compiler: Compiler | None,
) -> QueryError | None:
    """The same query compiled (never run) from the caller's text, for an error whose span is in it."""
    async with atransaction(pool, principal) as conn:
        schema = await aload_tenant_schema(conn, principal.tenant_id)
    try:
        (compiler or default_compiler).compile(
            text, model=model, schema=schema, role=principal.role.value, policy=policy, params=params
        )
    except QueryError as exc:
        return exc
    return None


def _disclosing(
    model: SemanticModel,
    query: str | Mapping[str, Any],
    q: dict[str, Any],
    principal: Principal,
    *,
    rules: Sequence[RowRule],
    schema: TenantSchema,
) -> bool:
    """Check the shape (custom fields classified by ``schema``; a refusal points into the caller's text);
    whether the result needs suppression.

    Disclosure control is for sensitive data: a count the caller could read row by row reveals nothing by
    being small, so only aggregates that read a sensitive field (key, filter or measure) are suppressed.
    """
    try:
        aggregate = check_shape(model, q, rules, principal.role.value, schema)
    except QueryError as exc:
        raise (in_text(exc, query) if isinstance(query, str) else exc) from None
    return aggregate and bool(sensitive_fields(model, q, schema))


def _audit(principal: Principal, entity: str, out: ProtectedResult, request_id: str | None) -> AuditEvent:
    classes = frozenset(Classification(c["classification"]) for c in out.columns)
    outcome: Outcome = "suppressed" if any(out.suppressed) else "ok"
    return AuditEvent(principal, "query", entity, outcome, classes, len(out.rows), request_id=request_id)


# Refusals that are access decisions, audited as denials: a field the role may not see (Q104), and an
# aggregate over sensitive data that would single someone out (Q304).
_DENIALS = ("Q104", "Q304")
_GRANTS_K = "select min_group_size from tenants where tenant_id = %s"


def run_protected(
    pool: ConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    matrix: AccessMatrix = DEFAULT_MATRIX,
    rules: Sequence[RowRule] = (),
    params: dict[str, Any] | None = None,
    cursor: str | None = None,
    request_id: str | None = None,
) -> ProtectedResult:
    """Compile and run ``query`` for ``principal`` with every guardrail; see the module docstring."""
    policy = FieldAccessPolicy(matrix)
    q = _as_json(query)
    entity = str(q.get("from", "?"))
    try:
        applicable = rules_for(rules, entity, principal.role.value)
        with transaction(pool, principal) as conn:  # one transaction: grants, the query, its audit event
            schema = load_tenant_schema(conn, principal.tenant_id)
            aggregate = _disclosing(model, query, q, principal, rules=rules, schema=schema)
            grants = [granted_ids(conn, r, principal.tenant_id, principal.user_id) for r in applicable]
            k = int((conn.execute(_GRANTS_K, (principal.tenant_id,)).fetchone() or (5,))[0])
            plan = _plan(q, applicable, grants, principal.user_id, aggregate)
            result = run_in(conn, principal, plan.query, model=model, params=params, cursor=cursor, policy=policy)
            reference = None
            if plan.reference is not None:
                reference = run_in(conn, principal, plan.reference, model=model, params=params, policy=policy).rows
            out = _finish(plan, result, reference, k)
            record(conn, _audit(principal, entity, out, request_id))
    except QueryError as exc:
        if exc.code in _DENIALS:
            denied = AuditEvent(principal, "query", entity, "denied", request_id=request_id, reason=exc.code)
            record_denial(pool, denied)
        raise
    return out


async def arun_protected(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    matrix: AccessMatrix = DEFAULT_MATRIX,
    rules: Sequence[RowRule] = (),
    params: dict[str, Any] | None = None,
    cursor: str | None = None,
    request_id: str | None = None,
    compiler: Compiler | None = None,
) -> ProtectedResult:
    """Async twin of ``run_protected`` (the service's path, on ``query.arun``); ``compiler`` lets the caller
    share its compile cache (e.g. the shape log's)."""
    policy = FieldAccessPolicy(matrix)
    q = _as_json(query)
    entity = str(q.get("from", "?"))
    try:
        applicable = rules_for(rules, entity, principal.role.value)
        async with atransaction(pool, principal) as conn:  # one transaction: grants, the query, its audit event
            schema = await aload_tenant_schema(conn, principal.tenant_id)
            aggregate = _disclosing(model, query, q, principal, rules=rules, schema=schema)
            grants = [await agranted_ids(conn, r, principal.tenant_id, principal.user_id) for r in applicable]
            k = int((await (await conn.execute(_GRANTS_K, (principal.tenant_id,))).fetchone() or (5,))[0])
            plan = _plan(q, applicable, grants, principal.user_id, aggregate)
            result = await arun_in(conn, principal, plan.query, model=model, params=params, cursor=cursor,
                                   policy=policy, compiler=compiler)  # fmt: skip
            reference = None
            if plan.reference is not None:
                reference = (await arun_in(conn, principal, plan.reference, model=model, params=params,
                                           policy=policy, compiler=compiler)).rows  # fmt: skip
            out = _finish(plan, result, reference, k)
            await arecord(conn, _audit(principal, entity, out, request_id))
    except QueryError as exc:
        if exc.code in _DENIALS:
            denied = AuditEvent(principal, "query", entity, "denied", request_id=request_id, reason=exc.code)
            await arecord_denial(pool, denied)
        if isinstance(query, str):  # point at the caller's own text (line, column, caret), not our rewrite
            located = await _error_in_text(
                pool, principal, query, model=model, policy=policy, params=params, compiler=compiler
            )
            if located is not None:
                raise located from None
        raise
    return out
