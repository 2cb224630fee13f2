"""The database's plan as a flat list of nodes: Postgres ``EXPLAIN (FORMAT JSON[, ANALYZE, BUFFERS])`` or
DuckDB's profiler JSON, read into one form (pure functions, no database).

Guarantee: ``self_ms`` is a node's own time (its total times loops, less its children's), so the node
marked ``hot`` is the one where the time went, not the root that waits for everything under it. The plan
*shape* (node types, relations, indexes, join kinds; no costs, rows or times) is deterministic for the
same data, settings and server version, which is what the plan-regression check compares.
``without_estimates`` drops what the planner took from statistics over every tenant's rows (estimated
rows and costs) and the buffer counts of shared tables, for callers who may see only their tenant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["DbPlan", "PlanNode", "from_duckdb_profile", "from_postgres", "without_estimates"]

_DETAIL_KEYS = ("Index Cond", "Recheck Cond", "Filter", "Hash Cond", "Merge Cond", "Join Filter", "Sort Key",
                "Group Key", "Strategy")  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlanNode:
    id: int
    parent: int | None
    depth: int
    node: str
    relation: str | None
    index: str | None
    est_rows: float | None
    est_cost: float | None
    actual_rows: float | None = None
    loops: int | None = None
    self_ms: float | None = None
    total_ms: float | None = None
    shared_hit: int | None = None
    shared_read: int | None = None
    detail: dict[str, str] = field(default_factory=dict)
    hot: bool = False

    @property
    def label(self) -> str:
        """The node's shape: type, plus relation and index when it has them."""
        out = self.node
        if self.index:
            out += f" using {self.index}"
        if self.relation:
            out += f" on {self.relation}"
        return out


@dataclass(frozen=True, slots=True)
class DbPlan:
    engine: str
    analyzed: bool
    nodes: tuple[PlanNode, ...]
    total_cost: float | None
    planning_ms: float | None = None
    execution_ms: float | None = None

    def shape(self) -> list[str]:
        """One line per node, indented by depth: what the plan-regression check compares."""
        return ["  " * n.depth + n.label for n in self.nodes]

    def hottest(self) -> PlanNode | None:
        return next((n for n in self.nodes if n.hot), None)

    def misestimates(self, factor: float = 10.0) -> list[PlanNode]:
        """Nodes whose actual rows (per loop) are ``factor`` times off the estimate, either way."""
        out = []
        for n in self.nodes:
            if n.actual_rows is None or n.est_rows is None:
                continue
            est, act = max(n.est_rows, 1.0), max(n.actual_rows, 1.0)
            if act / est >= factor or est / act >= factor:
                out.append(n)
        return out

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["shape"] = self.shape()
        return out


def without_estimates(plan: DbPlan) -> DbPlan:
    """``plan`` without estimated rows, costs and buffer counts: the shape, the caller's actual rows and
    the times stay."""
    nodes = tuple(replace(n, est_rows=None, est_cost=None, shared_hit=None, shared_read=None) for n in plan.nodes)
    return replace(plan, nodes=nodes, total_cost=None)


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _mark_hot(nodes: list[PlanNode]) -> tuple[PlanNode, ...]:
    timed = [n for n in nodes if n.self_ms is not None]
    if not timed:
        return tuple(nodes)
    hot = max(timed, key=lambda n: n.self_ms or 0.0).id
    return tuple(PlanNode(**{**asdict(n), "hot": n.id == hot}) for n in nodes)


def from_postgres(doc: Any) -> DbPlan:
    """From ``EXPLAIN (FORMAT JSON ...)``'s single value (a list holding one object)."""
    top = doc[0] if isinstance(doc, list) else doc
    nodes: list[PlanNode] = []

    def walk(p: dict[str, Any], parent: int | None, depth: int) -> None:
        nid = len(nodes)
        loops = p.get("Actual Loops")
        total = p.get("Actual Total Time")
        total_ms = None if total is None else float(total) * (loops or 1)
        children = p.get("Plans", [])
        child_ms = sum(float(c.get("Actual Total Time", 0.0)) * (c.get("Actual Loops") or 1) for c in children
                       if c.get("Parent Relationship") != "InitPlan")  # fmt: skip
        node_type = p["Node Type"] + (f" ({p['Join Type']})" if "Join Type" in p and p["Join Type"] != "Inner" else "")
        nodes.append(PlanNode(
            nid, parent, depth, node_type, p.get("Relation Name"), p.get("Index Name"),
            float(p.get("Plan Rows", 0)), float(p.get("Total Cost", 0.0)),
            None if p.get("Actual Rows") is None else float(p["Actual Rows"]), loops,
            None if total_ms is None else round(max(total_ms - child_ms, 0.0), 3),
            None if total_ms is None else round(total_ms, 3),
            p.get("Shared Hit Blocks"), p.get("Shared Read Blocks"),
            {k: _text(p[k]) for k in _DETAIL_KEYS if k in p},
        ))  # fmt: skip
        for c in children:
            walk(c, nid, depth + 1)

    walk(top["Plan"], None, 0)
    analyzed = "Execution Time" in top
    return DbPlan("postgres", analyzed, _mark_hot(nodes), float(top["Plan"].get("Total Cost", 0.0)),
                  top.get("Planning Time"), top.get("Execution Time"))  # fmt: skip


def from_duckdb_profile(doc: dict[str, Any]) -> DbPlan:
    """From DuckDB's profiler JSON (``get_profiling_information(format="json")``); costs are not exposed,
    so ``est_cost`` is 0 and the estimated cardinality is kept."""
    nodes: list[PlanNode] = []

    def walk(p: dict[str, Any], parent: int | None, depth: int) -> None:
        nid = len(nodes)
        extra = p.get("extra_info") or {}
        est = extra.get("Estimated Cardinality", 0)
        table = extra.get("Table")
        nodes.append(PlanNode(
            nid, parent, depth, str(p.get("type") or p.get("operator_type") or "?"),
            str(table).rsplit(".", 1)[-1] if table else None, None,
            float(est) if str(est).replace(".", "", 1).isdigit() else 0.0, 0.0,
            float(p.get("operator_cardinality", p.get("intermediate_rows", 0))), 1,
            round(float(p.get("timing", p.get("operator_timing", 0.0))) * 1000, 3), None,
            detail={k: str(v) for k, v in extra.items() if k in ("Filters", "Conditions", "Groups", "Aggregates")},
        ))  # fmt: skip
        for c in p.get("children", []):
            walk(c, nid, depth + 1)

    roots = doc.get("children") or doc.get("operator") or []
    for r in roots:
        walk(r, None, 0)
    total = sum(n.self_ms or 0.0 for n in nodes)
    return DbPlan("duckdb", True, _mark_hot(nodes), 0.0, None, round(total, 3))
