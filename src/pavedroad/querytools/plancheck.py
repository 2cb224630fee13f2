"""The plan-regression check: the suite's Postgres plans recorded on a small deterministic dataset, and a
comparison that fails when a compiler or schema change makes a plan worse.

A baseline (``tests/golden/query/plans.json``) holds, per suite query, the plan *shape* (node types,
relations, indexes, join kinds) and the planner's estimated total cost, plus what makes them
reproducible: the dataset (``recruiting.generator.seed`` arguments), the reference time and the server's
major version. Guarantee: ``compare_plans`` reports a regression exactly when a query's estimated cost
grew by more than ``threshold`` (a fraction), or a baseline query still in the suite no longer
compiles; a changed shape that is not costlier, a query new to the suite or one removed from it is
reported as a note, not a failure. Estimated costs (not timings) are compared,
because they are deterministic for the same data, settings and server version.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from pavedroad.query import SemanticModel
from pavedroad.querytools.scratch import compile_suite, plan_all
from pavedroad.querytools.suite import SuiteQuery

__all__ = ["PlanDiff", "PlanReport", "compare_plans", "load_baseline", "record_plans"]

DEFAULT_THRESHOLD = 0.25


def record_plans(
    owner_url: str, tenant: str, suite: list[SuiteQuery], *, model: SemanticModel, now: datetime,
    dataset: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The baseline document for ``suite`` planned under ``tenant`` on the database at ``owner_url``."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        version = conn.execute("show server_version_num").fetchone()
        schema, cases, errors = compile_suite(conn, tenant, suite, model=model, now=now)
        with conn.transaction(force_rollback=True):
            plans = plan_all(conn, tenant, schema.time_zone, cases)
    return {
        "server_major": int(version[0]) // 10000 if version else None,
        "dataset": dataset,
        "tenant": tenant,
        "now": now.isoformat(),
        "plans": {n: {"cost": round(p.total_cost or 0.0, 2), "shape": p.shape()} for n, p in sorted(plans.items())},
        "errors": errors,
    }


@dataclass(frozen=True, slots=True)
class PlanDiff:
    name: str
    cost_before: float
    cost_after: float
    diff: str  # unified diff of the shapes ("" when the shape is unchanged)

    @property
    def ratio(self) -> float:
        return self.cost_after / self.cost_before if self.cost_before > 0 else float("inf")


@dataclass
class PlanReport:
    regressions: list[PlanDiff] = field(default_factory=list)
    changed: list[PlanDiff] = field(default_factory=list)  # shape changed, cost not worse
    missing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.regressions and not self.missing


def compare_plans(
    baseline: dict[str, Any], current: dict[str, Any], threshold: float = DEFAULT_THRESHOLD
) -> PlanReport:
    """What got worse from ``baseline`` to ``current`` (both as ``record_plans`` returns them)."""
    report = PlanReport()
    if baseline.get("server_major") != current.get("server_major"):
        report.notes.append(f"server major version {baseline.get('server_major')} -> {current.get('server_major')}:"
                            " costs may differ for that reason alone; re-record with --update")  # fmt: skip
    before, after = baseline.get("plans", {}), current.get("plans", {})
    for name, old in before.items():
        new = after.get(name)
        if new is None and name in current.get("errors", {}):
            report.missing.append(name)  # still in the suite, but no longer compiles
            continue
        if new is None:
            report.notes.append(f"{name}: no longer in the suite (re-record with --update)")
            continue
        diff = ""
        if old["shape"] != new["shape"]:
            diff = "\n".join(difflib.unified_diff(old["shape"], new["shape"], "baseline", "current", lineterm=""))
        item = PlanDiff(name, float(old["cost"]), float(new["cost"]), diff)
        if item.cost_after > item.cost_before * (1 + threshold):
            report.regressions.append(item)
        elif diff:
            report.changed.append(item)
    report.new = sorted(set(after) - set(before))
    return report


def load_baseline(path: str | Path) -> dict[str, Any]:
    value = json.loads(Path(path).read_text())
    if not isinstance(value, dict) or "plans" not in value:
        raise ValueError(f"{path} is not a plan baseline (no 'plans' key)")
    return value
