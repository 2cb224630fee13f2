"""Queries through the guardrails: field access, relationship rules, aggregate-only sensitive data,
small-group suppression and audit, around the query block's unrestricted drivers.

``arun_protected`` is the one path a principal's query takes — ``POST /v1/query``, ``pavedroad query
run --role``, and ``pavedroad.query.arun`` and its sync facade ``run``, on Postgres, DuckDB or ClickHouse
(through ``Guardrails``, the ``QueryGuard`` this module implements) — and ``aexplain_protected`` the one
path of an explanation.
Guarantees: the compiler's policy pass gets ``FieldAccessPolicy`` (a field the role may not see reads as
unknown); relationship rules narrow the root entity's rows before anything else; a query that would show
or filter on a ``sensitive`` field outside an aggregate is refused as if the field did not exist; every
grouped result passes ``disclosure.suppress_rows`` with the tenant's ``min_group_size`` (the count of each
cell and, when the caller filtered, of the same cell unfiltered, come from hidden ``count()`` columns
added here); every run and every refusal is audited. The grants, the query and its audit event share one
tenant transaction: a result is returned only with its audit event committed, for one commit per query.
An error points into what the caller wrote (line, column and caret for text; a pointer into the
caller's JSON), never into the rewritten query. An explanation hides the planner's estimates (they come
from statistics over every tenant's rows) and, for a query disclosure control protects, actual row
counts.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg_pool import AsyncConnectionPool

from pavedroad.policy import PolicyEngine
from pavedroad.privacy.access import DEFAULT_MATRIX, AccessMatrix, FieldAccessPolicy
from pavedroad.privacy.audit import AuditEvent, Outcome, arecord, arecord_denial
from pavedroad.privacy.classification import Classification
from pavedroad.privacy.disclosure import suppress_rows
from pavedroad.privacy.rows import RowRule, afetch_granted, asend_granted, restrict, rules_for
from pavedroad.privacy.shape import _expanded_fields, checked_shape, in_text
from pavedroad.query import (
    CompiledQuery,
    FieldPolicy,
    QueryError,
    QueryLimitError,
    QueryResult,
    RunOptions,
    SemanticModel,
    TenantSchema,
    aload_tenant_schema,
    arun_unrestricted_in,
    default_compiler,
    from_json,
    parse_text,
    run_clickhouse_unrestricted,
    run_duckdb_unrestricted,
    to_json,
)
from pavedroad.querytools import Explanation, aexplain_unrestricted_in, explain_duckdb_unrestricted
from pavedroad.tenancy import Principal, atransaction

__all__ = ["Guardrails", "ProtectedResult", "aexplain_protected", "arun_protected"]

COUNT = "privacy_group_n"
_AGG_STEPS = ("group", "aggregate")


@dataclass
class ProtectedResult:
    columns: list[dict[str, Any]]
    rows: list[list[Any]]
    suppressed: list[bool] = field(default_factory=list)
    min_group_size: int = 5
    next_cursor: str | None = None
    compiled: CompiledQuery | None = field(default=None, repr=False)  # the restricted query, for --sql

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"columns": self.columns, "rows": self.rows, "next_cursor": self.next_cursor}
        if any(self.suppressed):
            body["suppressed"] = self.suppressed
            body["suppression"] = (
                f"{sum(self.suppressed)} group(s) hidden: fewer than {self.min_group_size} people, or a group"
                " that would let a hidden one be recovered by subtraction"
            )
        return body


@dataclass(frozen=True)
class Guardrails:
    """A domain's access declaration — the role-by-classification matrix and the row rules, or its
    policies (which then decide field access and add their row filters) — as the ``QueryGuard`` the
    query block runs every principal's query through."""

    matrix: AccessMatrix = DEFAULT_MATRIX
    rules: tuple[RowRule, ...] = ()
    policies: PolicyEngine | None = None

    def field_policy(self) -> FieldPolicy:
        """The compiler's field policy: the policies' field access when there are policies."""
        return _field_policy(self.matrix, self.policies)

    async def arun(
        self, pool: AsyncConnectionPool, principal: Principal, query: str | Mapping[str, Any], *,
        model: SemanticModel, options: RunOptions, duckdb: Any = None, clickhouse: Any = None,
    ) -> ProtectedResult:  # fmt: skip
        return await arun_protected(pool, principal, query, model=model, matrix=self.matrix, rules=self.rules,
                                    policies=self.policies, options=options, duckdb=duckdb,
                                    clickhouse=clickhouse)  # fmt: skip

    async def aexplain(
        self, pool: AsyncConnectionPool, principal: Principal, query: str | Mapping[str, Any], *,
        model: SemanticModel, options: RunOptions, analyze: bool = False, duckdb: Any = None,
    ) -> Explanation:  # fmt: skip
        return await aexplain_protected(pool, principal, query, model=model, matrix=self.matrix, rules=self.rules,
                                        policies=self.policies, options=options, analyze=analyze,
                                        duckdb=duckdb)  # fmt: skip


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
        return copy.deepcopy(_text_as_json(query))  # a copy: the cached form is never handed out
    return to_json(from_json(query))


@functools.lru_cache(maxsize=1024)
def _text_as_json(text: str) -> dict[str, Any]:
    """Parsing is most of the guard's own CPU time; a report is run again and again with the same text."""
    return to_json(parse_text(text))


@dataclass(frozen=True)
class _Plan:
    """What the driver executes: the restricted query, its unfiltered reference, where the keys are."""

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


def _finish(plan: _Plan, result: QueryResult, reference_rows: list[tuple[Any, ...]] | None, k: int) -> ProtectedResult:
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
    return ProtectedResult(columns, rows, suppressed, k, result.next_cursor, result.compiled)


def _audit(principal: Principal, entity: str, out: ProtectedResult, request_id: str | None) -> AuditEvent:
    classes = frozenset(Classification(c["classification"]) for c in out.columns)
    outcome: Outcome = "suppressed" if any(out.suppressed) else "ok"
    return AuditEvent(principal, "query", entity, outcome, classes, len(out.rows), request_id=request_id)


@dataclass(frozen=True)
class _Request:
    """A principal's query: its JSON form, root entity, the field policy and (once checked) the rules."""

    principal: Principal
    source: str | Mapping[str, Any]
    q: dict[str, Any]
    entity: str
    policy: FieldPolicy

    @classmethod
    def of(
        cls, principal: Principal, query: str | Mapping[str, Any], matrix: AccessMatrix, policies: PolicyEngine | None
    ) -> _Request:
        """A malformed query is the compiler's structured error here, before any analysis (nothing to audit)."""
        q = _as_json(query)
        return cls(principal, query, q, str(q.get("from", "?")), _field_policy(matrix, policies))

    def applicable(self, rules: Sequence[RowRule]) -> list[RowRule]:
        """The row rules that narrow this query's root entity for the caller's role."""
        return rules_for(rules, self.entity, self.principal.role.value)

    def disclosing(self, model: SemanticModel, rules: Sequence[RowRule], schema: TenantSchema) -> bool:
        """Refuse a bad shape (custom fields classified by ``schema``; the error points into the caller's own
        text or JSON, since the check reads the query as written); whether disclosure control applies.

        Disclosure control is for sensitive data: a count the caller could read row by row reveals nothing
        by being small, so only aggregates that read a sensitive field (key, filter or measure) are suppressed."""
        try:
            aggregate, sensitive = checked_shape(model, self.q, rules, self.principal.role.value, schema)
        except QueryError as exc:
            raise (in_text(exc, self.source) if isinstance(self.source, str) else exc) from None
        return aggregate and sensitive


def _field_policy(matrix: AccessMatrix, policies: PolicyEngine | None) -> FieldPolicy:
    return FieldAccessPolicy(matrix) if policies is None else policies.field_access


def _with_policy_rules(
    rules: Sequence[RowRule], policies: PolicyEngine | None, principal: Principal, model: SemanticModel,
    q: dict[str, Any],
) -> tuple[RowRule, ...]:  # fmt: skip
    """``rules`` and the policies' row filters for ``principal``: for every entity they narrow, a rule with
    their residual condition (it leads a query on that entity, and marks the entity narrowed, so the shape
    check refuses navigation into it); and for every many-to-one path of ``q`` into a narrowed entity, a
    rule on the root with the residual read through that path (``job.confidential = false``), which
    ``covers`` the path, so that navigation is allowed and filtered. A root row whose related row is
    hidden is dropped (an optional relation with no row keeps it)."""
    if policies is None:
        return tuple(rules)
    role = frozenset({principal.role.value})
    root = str(q.get("from", ""))
    out = list(rules)
    narrowed: dict[str, dict[str, Any]] = {}
    for entity in model.entities:
        cond = policies.row_filter(principal, entity)
        if cond is not True:
            narrowed[entity] = _NOTHING if cond is False else cond
            out.append(RowRule(entity, role, "id", None, narrowed[entity], reason="policy"))
    if narrowed and root in model.entities:
        for path, entity, nullable in _many_to_one_paths(model, root, q):
            if entity in narrowed:
                cond = _through(narrowed[entity], path)
                if nullable:
                    cond = _any_of([*({"is_null": {"field": f}, "negated": False} for f in nullable), cond])
                out.append(RowRule(root, role, "id", None, cond, reason="policy", covers=(path,)))
    return tuple(out)


def _many_to_one_paths(model: SemanticModel, root: str, q: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(dotted path, entity reached, foreign keys of its optional steps) for every chain of many-to-one
    relations the query's fields (with the model's bodies expanded, as the shape check reads them) take."""
    found: dict[str, tuple[str, list[str]]] = {}
    for dotted in _expanded_fields(model, root, q.get("steps", [])):
        entity, path = root, ""
        nullable: list[str] = []
        for part in dotted.split(".")[:-1]:
            relation = model.entities[entity].relations.get(part) if entity in model.entities else None
            if relation is None or relation.cardinality != "many_to_one":
                break
            if not relation.required:
                nullable = [*nullable, f"{path}.{relation.foreign_key}" if path else relation.foreign_key]
            path = f"{path}.{part}" if path else part
            entity = relation.entity
            found.setdefault(path, (entity, nullable))
    return [(p, e, n) for p, (e, n) in found.items()]


def _through(cond: Any, path: str) -> Any:
    """A condition on an entity, read from the root through ``path``."""
    if isinstance(cond, dict):
        if isinstance(cond.get("field"), str):
            return {**cond, "field": f"{path}.{cond['field']}"}
        return {k: _through(v, path) for k, v in cond.items()}
    if isinstance(cond, list):
        return [_through(v, path) for v in cond]
    return cond


def _any_of(conds: list[dict[str, Any]]) -> dict[str, Any]:
    out = conds[-1]
    for c in reversed(conds[:-1]):
        out = {"op": "or", "args": [c, out]}
    return out


_NOTHING: dict[str, Any] = {"op": "=", "args": [{"value": 1}, {"value": 0}]}
_K_SQL = "select min_group_size from tenants where tenant_id = %s"


async def _context(conn: Any, principal: Principal, rules: list[RowRule]) -> tuple[TenantSchema, int, list[list[int]]]:
    """The tenant's schema, its ``min_group_size`` and the ids each applicable rule grants the caller
    (under RLS, in ``conn``). Every query is sent before any result is read, so on a pipelined connection
    they travel with BEGIN and the context in one round trip (the schema's fetch sends them)."""
    k_sent = await conn.execute(_K_SQL, (principal.tenant_id,))
    grants_sent = [await asend_granted(conn, r, principal.tenant_id, principal.user_id) for r in rules]
    schema = await aload_tenant_schema(conn, principal.tenant_id)
    k = int((await k_sent.fetchone() or (5,))[0])
    return schema, k, [await afetch_granted(sent) for sent in grants_sent]


_Refusal = QueryError | QueryLimitError
# Refusals that are access decisions, audited as denials: a field the role may not see (Q104), and an
# aggregate over sensitive data that would single someone out (Q304).
_DENIALS = ("Q104", "Q304")


async def _failed(
    pool: AsyncConnectionPool, req: _Request, exc: _Refusal, *, schema: TenantSchema | None,
    model: SemanticModel, options: RunOptions,
) -> _Refusal:  # fmt: skip
    """What a refused query raises: audited when it named a field the caller may not see (in a transaction
    of its own), and located in what the caller wrote — the caller's own query compiled (never run) for
    the same role gives the error with its span there; an error only our rewrite has loses its span."""
    if exc.code in _DENIALS:
        denied = AuditEvent(req.principal, "query", req.entity, "denied", request_id=options.request_id,
                            reason=exc.code)  # fmt: skip
        await arecord_denial(pool, denied)
    if exc.span is None or schema is None:
        return exc
    source = req.source if isinstance(req.source, str) else dict(req.source)
    try:
        (options.compiler or default_compiler).compile(
            source, model=model, schema=schema, role=req.principal.role.value, policy=req.policy,
            limits=options.limits, params=options.params, now=options.now,
        )  # fmt: skip
    except (QueryError, QueryLimitError) as own:
        return own
    exc.span = None
    return exc


async def arun_protected(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    matrix: AccessMatrix = DEFAULT_MATRIX,
    rules: Sequence[RowRule] = (),
    policies: PolicyEngine | None = None,
    options: RunOptions = RunOptions(),
    duckdb: Any = None,
    clickhouse: Any = None,
) -> ProtectedResult:
    """Compile and run ``query`` for ``principal`` with every guardrail (see the module docstring);
    ``duckdb`` (a connection holding copies of the tables) or ``clickhouse`` (a ``ClickHouseTables``)
    executes it there instead of on Postgres (the grants, ``k`` and the audit event stay in Postgres);
    ``options.policy`` is replaced by the matrix's."""
    req = _Request.of(principal, query, matrix, policies)
    rules = _with_policy_rules(rules, policies, principal, model, req.q)
    guarded = replace(options, policy=req.policy)
    schema: TenantSchema | None = None
    checked = False  # a shape refusal already points into the caller's query; later ones are relocated
    try:
        applicable = req.applicable(rules)
        # One pipelined transaction: grants and settings, the query, its audit event with the COMMIT.
        async with atransaction(pool, principal, pipeline=True) as conn:
            schema, k, grants = await _context(conn, principal, applicable)
            aggregate = req.disclosing(model, rules, schema)
            checked = True
            plan = _plan(req.q, applicable, grants, principal.user_id, aggregate)

            async def execute(q: str | Mapping[str, Any], opts: RunOptions) -> QueryResult:
                if clickhouse is not None:
                    return run_clickhouse_unrestricted(clickhouse, schema, principal.role.value, q, model=model,
                                                       options=opts)  # fmt: skip
                if duckdb is not None:
                    return run_duckdb_unrestricted(duckdb, schema, principal.role.value, q, model=model, options=opts)
                return await arun_unrestricted_in(conn, principal, q, model=model, options=opts, schema=schema)

            # Nothing rewritten (no rule, no hidden count): run the caller's own form, which the compile
            # cache keys on directly.
            as_written = req.source if not applicable and not aggregate else plan.query
            result = await execute(as_written, guarded)
            unpaged = replace(guarded, cursor=None)
            reference = None if plan.reference is None else (await execute(plan.reference, unpaged)).rows
            out = _finish(plan, result, reference, k)
            # The audit row and its outbox event are sent with the COMMIT, which the block waits for.
            await arecord(conn, _audit(principal, req.entity, out, options.request_id))
    except (QueryError, QueryLimitError) as exc:
        located = schema if checked else None
        raise await _failed(pool, req, exc, schema=located, model=model, options=options) from None
    return out


async def aexplain_protected(
    pool: AsyncConnectionPool,
    principal: Principal,
    query: str | Mapping[str, Any],
    *,
    model: SemanticModel,
    matrix: AccessMatrix = DEFAULT_MATRIX,
    rules: Sequence[RowRule] = (),
    policies: PolicyEngine | None = None,
    options: RunOptions = RunOptions(),
    analyze: bool = False,
    duckdb: Any = None,
) -> Explanation:
    """Explain ``query`` for ``principal`` as ``arun_protected`` would run it: the same shape checks, field
    policy and row rules (so ``analyze`` counts only rows the caller may read), the planner's estimates
    hidden, actual row counts hidden where disclosure control applies; an analyze is audited."""
    req = _Request.of(principal, query, matrix, policies)
    rules = _with_policy_rules(rules, policies, principal, model, req.q)
    guarded = replace(options, policy=req.policy)
    schema: TenantSchema | None = None
    shown = query if isinstance(query, str) else json.dumps(dict(query))
    checked = False  # a shape refusal already points into the caller's query; later ones are relocated
    try:
        applicable = req.applicable(rules)
        async with atransaction(pool, principal) as conn:
            schema, _, grants = await _context(conn, principal, applicable)
            aggregate = req.disclosing(model, rules, schema)
            checked = True
            restricted = restrict(req.q, applicable, grants, principal.user_id)
            if duckdb is not None:
                out = explain_duckdb_unrestricted(duckdb, schema, principal.role.value, restricted, model=model,
                                                  options=guarded, analyze=analyze, estimates=False,
                                                  shown=shown)  # fmt: skip
            else:
                out = await aexplain_unrestricted_in(conn, principal, restricted, model=model, options=guarded,
                                                     schema=schema, analyze=analyze, estimates=False,
                                                     shown=shown)  # fmt: skip
            if out.db is not None and aggregate:
                out.db = replace(out.db, nodes=tuple(replace(n, actual_rows=None) for n in out.db.nodes))
                out.notes.append("row counts are hidden: this query aggregates sensitive data (small groups)")
            if analyze:
                classes = frozenset(Classification(c["classification"]) for c in out.policy)
                await arecord(conn, AuditEvent(principal, "query", req.entity, "ok", classes,
                                               request_id=options.request_id, reason="explain analyze"))  # fmt: skip
    except (QueryError, QueryLimitError) as exc:
        located = schema if checked else None
        raise await _failed(pool, req, exc, schema=located, model=model, options=options) from None
    return out
