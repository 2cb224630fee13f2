"""Rich renderings of the query tools' data (explain, profile, top, advice, plan check) for the CLI, and
``explain_text``: the plain, deterministic text form the golden files pin.

Guarantee: renderers only read the data models; nothing here queries a database or recomputes a figure,
so the CLI, the JSON API and the dashboard always show the same numbers.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.tree import Tree

from pavedroad.querytools.advisor_run import Advice
from pavedroad.querytools.dbplan import DbPlan, PlanNode
from pavedroad.querytools.explain import Explanation
from pavedroad.querytools.plancheck import PlanReport
from pavedroad.querytools.profile import SuiteProfile

__all__ = [
    "explain_text",
    "plan_text",
    "render_advice",
    "render_explanation",
    "render_plan_report",
    "render_profile",
    "render_top",
]


def explain_text(e: Explanation, *, timings: bool = False) -> str:
    """The compile-side explanation as plain text (pass times only with ``timings``: they vary)."""
    lines = [f"query for tenant {e.tenant}, role {e.role}, {e.dialect}", "", "passes:"]
    for p in e.passes:
        t = f"  {p.ms:.3f} ms" if timings else ""
        lines.append(f"  {p.name:<13} {p.summary}{t}")
    lines += ["", "fields:"]
    lines += [f"  {f.field:<32} {f.type:<10} {f.classification:<12} {f.column}"
              + (f" ->> {f.custom_key}" if f.custom_key else "") for f in e.fields]  # fmt: skip
    lines += ["", "policy:"]
    lines += [f"  {c['column']:<32} {c['classification']:<12} {c['decision']}" for c in e.policy]
    lines += ["", "joins:"]
    lines += [f"  {j.alias:<4} {j.kind:<10} {j.table:<20} {j.via:<16} {j.strategy}" for j in e.joins]
    lines += ["", "tenant predicates:"] + [f"  {p}" for p in e.tenant_predicates]
    lines += ["", "sql:", e.sql]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _node_label(n: PlanNode, plan: DbPlan) -> str:
    parts = [f"[bold]{n.label}[/]"]
    if n.est_rows is not None:
        parts += [f"est {n.est_rows:g} rows", f"cost {n.est_cost or 0:g}"]
    if n.actual_rows is not None:
        off = 1.0 if n.est_rows is None else n.actual_rows / n.est_rows if n.est_rows else float("inf")
        warn = "[yellow]" if off > 10 or off < 0.1 else ""  # an order of magnitude off
        parts.append(f"{warn}actual {n.actual_rows:g}×{n.loops or 1}{'[/]' if warn else ''}")
    if n.self_ms is not None:
        parts.append(f"self {n.self_ms:.3f} ms")
    if n.shared_hit is not None or n.shared_read is not None:
        parts.append(f"buffers hit={n.shared_hit or 0} read={n.shared_read or 0}")
    text = " · ".join(parts)
    if n.detail:
        text += "\n[dim]" + "; ".join(f"{k}: {v}" for k, v in n.detail.items()) + "[/]"
    return f"[on red]🔥 {text}[/]" if n.hot and plan.analyzed else text


def render_plan(plan: DbPlan) -> RenderableType:
    head = f"{plan.engine} plan, " + (
        "estimates hidden" if plan.total_cost is None else f"total cost {plan.total_cost:g}"
    )
    if plan.execution_ms is not None:
        head += f", planning {plan.planning_ms or 0:.3f} ms, execution {plan.execution_ms:.3f} ms"
    tree = Tree(head)
    branches: dict[int, Tree] = {}
    for n in plan.nodes:
        parent = tree if n.parent is None else branches[n.parent]
        branches[n.id] = parent.add(_node_label(n, plan))
    return tree


def render_explanation(e: Explanation) -> RenderableType:
    passes = Table("pass", "ms", "result", title="passes", title_justify="left")
    for p in e.passes:
        passes.add_row(p.name, f"{p.ms:.3f}", p.summary)
    fields = Table("field", "type", "classification", "column", title="fields read", title_justify="left")
    for f in e.fields:
        fields.add_row(f.field, f.type, f.classification, f.column + (f" ->> {f.custom_key}" if f.custom_key else ""))
    joins = Table("alias", "kind", "table", "via", "fan-out strategy", title="join plan", title_justify="left")
    for j in e.joins:
        joins.add_row(j.alias, j.kind, j.table, j.via, j.strategy)
    parts: list[RenderableType] = [
        f"[bold]{e.tenant}[/] as [bold]{e.role}[/] on {e.dialect} · compiled in {e.compile_ms:.3f} ms",
        passes, fields,
        "policy: " + ", ".join(f"{c['column']} ({c['classification']})" for c in e.policy),
        joins,
        Panel("\n".join(e.tenant_predicates), title="tenant predicates", title_align="left"),
        Syntax(e.sql, "sql", word_wrap=True),
    ]  # fmt: skip
    if e.db is not None:
        parts.append(render_plan(e.db))
    parts += [f"[dim]{n}[/]" for n in e.notes]
    return Group(*parts)


def render_profile(p: SuiteProfile, top: int = 10) -> RenderableType:
    title = f"passes (trimmed mean of {p.reps} compiles)"
    passes = Table("pass", "total ms", "share", title=title, title_justify="left")
    for name, ms, share in p.pass_totals():
        passes.add_row(name, f"{ms:.3f}", f"{share:.0%}")
    shapes = Table("query", "total ms", "slowest pass", "shape", title="slowest query shapes", title_justify="left")
    for q in p.slowest(top):
        worst = max(q.passes.items(), key=lambda kv: kv[1])
        shapes.add_row(q.name, f"{q.total_ms:.3f}", f"{worst[0]} {worst[1]:.3f}", q.shape[:80])
    errors = [f"[red]{q.name}[/]: {q.error}" for q in p.queries if q.error]
    return Group(passes, shapes, *errors)


def render_top(rows: list[dict[str, Any]], by: str) -> RenderableType:
    table = Table("shape", "tenants", "calls", "p50 ms", "p99 ms", "total ms", "compile µs", "rows", "db mean ms",
                  title=f"costliest query shapes (by {by})", title_justify="left")  # fmt: skip
    for r in rows:
        db = "" if r.get("pgss_mean_ms") is None else f"{r['pgss_mean_ms']:.3f}"
        table.add_row(f"{r['shape'][:70]}\n[dim]{r['explain']}[/]", str(r["tenants"]), str(r["calls"]),
                      f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}", f"{r['total_ms']:.1f}", f"{r['compile_us_avg']:.0f}",
                      str(r["rows_avg"]), db)  # fmt: skip
    return table


def render_advice(a: Advice) -> RenderableType:
    table = Table("gain", "queries", "index (ready to run)", "why", title=f"index advice for {a.tenant}",
                  title_justify="left")  # fmt: skip
    for p in a.proposals:
        timing = (
            f"\n{p.ms_before:.2f}→{p.ms_after:.2f} ms" if p.ms_before is not None and p.ms_after is not None else ""
        )
        why = p.candidate.reason + (f"\n[yellow]ran slower: {', '.join(p.slower)}[/]" if p.slower else "")
        table.add_row(f"{p.gain:.1%}{timing}", ", ".join(p.queries), p.ddl, why)
    foot = f"suite estimated cost {a.cost_before:.1f} → {a.cost_after_all:.1f} with every proposal"
    skipped = [f"[dim]skipped {k}: {v}[/]" for k, v in sorted(a.skipped.items())]
    return Group(table, foot, *skipped)


def render_plan_report(r: PlanReport, threshold: float) -> RenderableType:
    parts: list[RenderableType] = []
    for d in r.regressions:
        parts.append(f"[red]worse[/] {d.name}: estimated cost {d.cost_before:g} → {d.cost_after:g} (×{d.ratio:.2f},"
                     f" threshold ×{1 + threshold:.2f})")  # fmt: skip
        if d.diff:
            parts.append(Syntax(d.diff, "diff"))
    for d in r.changed:
        parts.append(f"[yellow]changed[/] {d.name}: cost {d.cost_before:g} → {d.cost_after:g}")
        parts.append(Syntax(d.diff, "diff"))
    parts += [f"[red]missing[/] {n}: in the baseline and the suite, but it no longer compiles" for n in r.missing]
    parts += [f"[dim]new {n}: not in the baseline (record with --update)[/]" for n in r.new]
    parts += [f"[dim]{n}[/]" for n in r.notes]
    parts.append("[green]plans ok[/]" if r.ok else "[red]plans got worse[/]")
    return Group(*parts)


def plan_text(plan: DbPlan, *, masked: bool = True) -> str:
    """The database plan as indented text: shape, estimated rows and cost per node; actual rows and times
    only unmasked (they vary run to run), so golden files can pin the rest."""
    lines = []
    for n in plan.nodes:
        est = "estimates hidden" if n.est_rows is None else f"est {n.est_rows:g} rows, cost {n.est_cost or 0:g}"
        line = f"{'  ' * n.depth}{n.label}  ({est})"
        if plan.analyzed:
            line += " actual ? rows, ? ms" if masked else f" actual {n.actual_rows:g} rows, {n.self_ms:.3f} ms"
        lines.append(line + ("  <- hottest" if n.hot and not masked else ""))
    return "\n".join(lines) + "\n"
