"""What the compiler did with one query, as plain data the CLI, the API and the dashboard all render.

Guarantee: an ``Explanation`` is built only from a ``Trace`` (the real passes' outputs) and, when asked,
the database's own plan; ``to_dict()`` is JSON-ready and holds no Python objects. Sections, in pass
order: the parsed AST summary, resolved fields with their classification, the policy decision per output
column, the join plan with the fan-out strategy of each branch, the tenant predicates injected, the SQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlglot

from pavedroad.query import TENANT_PARAM, Classification, Hop, InternalCompilerError, Node, Plan, Resolved, cols_of
from pavedroad.query import ast as qa
from pavedroad.querytools.dbplan import DbPlan
from pavedroad.querytools.trace import Trace

__all__ = ["Explanation", "FieldInfo", "JoinInfo", "PassInfo", "explain_trace"]


@dataclass(frozen=True, slots=True)
class PassInfo:
    name: str
    ms: float
    summary: str


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A model field the query reads: where it lives and how it is classified."""

    field: str
    entity: str
    path: str
    column: str
    type: str
    classification: str
    custom_key: str | None = None


@dataclass(frozen=True, slots=True)
class JoinInfo:
    """One table reference of the plan and how it joins: ``strategy`` names the fan-out treatment."""

    alias: str
    table: str
    kind: str  # from | join | left join | branch | semi-join
    via: str
    strategy: str


@dataclass
class Explanation:
    query: str
    tenant: str
    role: str
    dialect: str
    passes: list[PassInfo]
    ast: dict[str, Any]
    fields: list[FieldInfo]
    policy: list[dict[str, str]]
    joins: list[JoinInfo]
    tenant_predicates: list[str]
    sql: str
    params: dict[str, str]
    compile_ms: float
    db: DbPlan | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the dashboard's and ``POST /v1/query/explain``'s form)."""
        out = asdict(self)
        out["db"] = None if self.db is None else self.db.to_dict()
        return out


def _ast_summary(ast: qa.Pipeline) -> dict[str, Any]:
    steps = []
    for step in ast.steps:
        name = type(step).__name__.lower()
        items = getattr(step, "items", None) or getattr(step, "keys", None)
        steps.append({"step": name, "items": len(items) if items is not None else 1})
    return {"entity": ast.entity, "steps": steps}


def _path(hops: tuple[Hop, ...]) -> str:
    return ".".join(h.relation for h in hops)


def _every(res: Resolved) -> list[Node]:
    nodes: list[Node] = [*res.where, *res.having, *(k for k, _ in res.sort)]
    return nodes + [o.expr for o in (*res.groups, *res.aggregates, *res.outputs)]


def _fields(res: Resolved) -> list[FieldInfo]:
    seen: dict[tuple[str, str], FieldInfo] = {}
    for node in _every(res):
        for c in cols_of(node):
            f = c.field
            key = (_path(c.hops), f.name)
            if key not in seen:
                seen[key] = FieldInfo(".".join(x for x in (key[0], f.name) if x), f.entity, key[0], f.column,
                                      c.type or f.type, Classification(f.classification).name, f.json_key)  # fmt: skip
    return sorted(seen.values(), key=lambda i: i.field)


def _joins(plan: Plan) -> list[JoinInfo]:
    root = plan.main.root
    out = [JoinInfo(root.alias, root.table, "from", "", "the query's rows")]
    for j in plan.main.joins.values():
        out.append(JoinInfo(j.scan.alias, j.scan.table, "join" if j.inner else "left join", j.hop.relation,
                            "many-to-one: joined row for row (no fan-out)"))  # fmt: skip
    for b in plan.branches.values():
        per = b.tree.prefix[-1].right_col
        out.append(JoinInfo(b.alias, b.tree.root.table, "branch", _path(b.tree.prefix),
                            f"one-to-many: aggregated per {per} in a subquery, then left-joined"))  # fmt: skip
        out += [JoinInfo(j.scan.alias, j.scan.table, "join", j.hop.relation, f"inside branch {b.alias}")
                for j in b.tree.joins.values()]  # fmt: skip
    for e in plan.exists.values():
        out.append(JoinInfo(e.tree.root.alias, e.tree.root.table, "semi-join", _path(e.tree.prefix),
                            "one-to-many filter: EXISTS, never multiplies rows"))  # fmt: skip
    return out


def _summaries(trace: Trace) -> dict[str, str]:
    final = trace.final
    res, plan = final.resolved, final.plan
    if res is None:
        raise InternalCompilerError("the compile left no resolved query")
    if not isinstance(plan, Plan):
        raise InternalCompilerError("the compile left no join plan")
    if final.ast is None:
        raise InternalCompilerError("the compile left no syntax tree")
    scans = plan.scans()
    scoped = f"{sum(s.scoped for s in scans)}/{len(scans)} scans carry {scans[0].tenant_column} = :{TENANT_PARAM}"
    literal_slots = sum(1 for s in final.slots if s.kind == "literal")
    return {
        "parse": f"{final.ast.entity} | " + " | ".join(type(s).__name__.lower() for s in final.ast.steps),
        "resolve_names": f"{len(_fields(res))} fields on {res.entity}; "
        + ("aggregated" if res.aggregated else "row-level")
        + f", {len(res.outputs)} outputs",
        "check_types": ", ".join(f"{o.name}: {o.expr.type}" for o in res.outputs),
        "apply_policy": ", ".join(f"{c.name}: {c.classification}" for c in final.columns if not c.hidden),
        "plan_joins": f"{len(plan.main.joins)} joins, {len(plan.branches)} branches, {len(plan.exists)} semi-joins",
        "scope_tenant": scoped,
        "lower": f"one SELECT, {len(final.slots)} parameters ({literal_slots} lifted literals)",
        "verify": "every scan scoped, no inline literal",
    }


def explain_trace(trace: Trace, *, query: str, tenant: str, params: dict[str, Any] | None = None) -> Explanation:
    """The compile-side explanation of ``trace`` (the database plan is attached by the driver)."""
    final = trace.final
    res, plan, sql = final.resolved, final.plan, final.sql
    if res is None:
        raise InternalCompilerError("the compile left no resolved query")
    if not isinstance(plan, Plan):
        raise InternalCompilerError("the compile left no join plan")
    if sql is None:
        raise InternalCompilerError("the compile emitted no SQL")
    if final.ast is None:
        raise InternalCompilerError("the compile left no syntax tree")
    summaries = _summaries(trace)
    passes = [PassInfo(p.name, round(p.seconds * 1000, 3), summaries.get(p.name, "")) for p in trace.passes]
    scans = plan.scans()
    predicates = [f"{s.alias}.{s.tenant_column} = :{TENANT_PARAM}  ({s.table})" for s in scans if s.scoped]
    policy = [{"column": c.name, "type": c.type, "classification": c.classification, "decision": "allowed"}
              for c in final.columns if not c.hidden]  # fmt: skip
    dialect = trace.ctx.dialect
    pretty = sqlglot.transpile(sql.sql(dialect=dialect), read=dialect, write=dialect, pretty=True)[0]
    shown = {k: str(v) for k, v in (params or {}).items()}
    return Explanation(query, tenant, trace.ctx.role, dialect, passes, _ast_summary(final.ast), _fields(res),
                       policy, _joins(plan), predicates, pretty, shown, round(trace.total_s * 1000, 3))  # fmt: skip
