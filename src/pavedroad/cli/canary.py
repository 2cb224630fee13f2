"""``pavedroad canary``: judge thresholds by simulation, see rollouts' decisions and why, get a verdict."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.errors import InvalidInput, NotFound

app = typer.Typer(
    help="Canary analysis: simulate thresholds, show guarded rollouts' decisions, explain them, judge a deploy.",
    no_args_is_help=True,
)

T = TypeVar("T")


def _with_pool(fn: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``fn(pool)`` against the configured database (embedded if no URL is set)."""
    from psycopg_pool import AsyncConnectionPool

    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)

    async def go() -> T:
        pool = AsyncConnectionPool(stack.app_url, min_size=1, max_size=2, open=False)
        await pool.open(wait=True, timeout=30)
        try:
            return await fn(pool)
        finally:
            await pool.close()

    try:
        return asyncio.run(go())
    finally:
        stack.stop()


@app.command()
@friendly_errors
def simulate(
    *,
    runs: Annotated[int, typer.Option(min=50, max=100_000, help="Synthetic rollouts per scenario.")] = 2000,
    checks: Annotated[int, typer.Option(min=1, max=500, help="Checks per rollout.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same figures).")] = 1,
    scenario: Annotated[list[str] | None, typer.Option(help="Only these scenarios (repeatable).")] = None,
    alpha: Annotated[float, typer.Option(help="Family-wise false-alarm budget of the engine.")] = 0.01,
    min_requests: Annotated[int, typer.Option(help="Minimum requests per cohort before a verdict.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Run synthetic cohorts many times; print false-alarm rate, detection power and checks to detect."""
    from pavedroad.canary import SCENARIOS, Policy
    from pavedroad.canary import simulate as run

    chosen = [s for s in SCENARIOS if not scenario or s.name in scenario]
    if not chosen:
        names = ", ".join(s.name for s in SCENARIOS)
        raise InvalidInput(f"no scenario named {', '.join(scenario or [])}", code="C400", hint=f"known: {names}")
    policy = Policy(alpha=alpha, min_requests=min_requests)
    started = time.monotonic()
    figures = run(chosen, runs=runs, checks=checks, policy=policy, seed=seed)
    if as_json:
        console.print_json(json.dumps([f.__dict__ for f in figures]))
        return
    table = Table(title=f"{runs} synthetic rollouts x {checks} checks per scenario (alpha {alpha:g})")
    for col in ("scenario", "method", "false alarms", "power", "median checks to alarm"):
        table.add_column(col, justify="left" if col in ("scenario", "method") else "right")
    for f in figures:
        median = "-" if f.median_checks_to_alarm is None else f"{f.median_checks_to_alarm:g}"
        fa, power = ("", f"{f.alarm_rate:.1%}") if f.harmful else (f"{f.alarm_rate:.2%}", "")
        table.add_row(f.scenario, f.method, fa, power, median)
    console.print(table)
    console.print(f"[dim]{time.monotonic() - started:.1f}s; naive-z = a 5% z-test per metric at every check[/]")


@app.command()
@friendly_errors
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The last decision of every guarded rollout."""
    from pavedroad.canary import latest_per_rollout

    rows = _with_pool(latest_per_rollout)
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    if not rows:
        console.print("no canary decisions recorded yet (the controller runs inside `pavedroad demo`)")
        return
    table = Table(title="guarded rollouts")
    for col in ("rollout", "at", "action", "step", "dry run", "reason"):
        table.add_column(col)
    for r in rows:
        step = f"{r['step_from']} → {r['step_to']}" if r["step_from"] != r["step_to"] else str(r["step_from"])
        table.add_row(r["rollout"], r["decided_at"], r["action"], step, "yes" if r["dry_run"] else "", r["reason"])
    console.print(table)


def _results_table(results: list[dict[str, Any]]) -> Table:
    table = Table()
    for col in (
        "metric",
        "test",
        "baseline n",
        "canary n",
        "baseline",
        "canary",
        "ratio [CI]",
        "log e / threshold",
        "",
    ):
        table.add_column(col)

    def num(v: float | None) -> str:
        return "-" if v is None else f"{v:.4g}"

    for r in results:
        interval = f"{num(r['ratio'])} [{num(r['lower'])}, {num(r['upper'])}]"
        table.add_row(
            r["metric"],
            r["test"],
            str(r["baseline_requests"]),
            str(r["canary_requests"]),
            num(r["baseline_estimate"]),
            num(r["canary_estimate"]),
            interval,
            f"{num(r['log_e_value'])} / {r['threshold_log_e']:.2f}",
            "[bold red]ALARM[/]" if r["alarm"] else "",
        )
    return table


@app.command()
@friendly_errors
def explain(
    rollout: Annotated[str, typer.Argument(help="Rollout name (usually the flag key).")],
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many recent decisions.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Why the controller decided what it did: every test's sample sizes, estimates, intervals, thresholds."""
    from pavedroad.canary import recent_decisions as recent

    rows = _with_pool(lambda pool: recent(pool, rollout=rollout, limit=limit))
    if not rows:
        raise NotFound(
            f"no decisions recorded for rollout {rollout!r}", code="C404", hint="see `pavedroad canary status`"
        )
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    for r in rows:
        console.print(
            f"[bold]{r['rollout']}[/] {r['decided_at']}: [bold]{r['action']}[/] step {r['step_from']} → {r['step_to']}"
            + (" (dry run)" if r["dry_run"] else "")
        )
        console.print(f"  {r['reason']}", highlight=False)
        console.print(_results_table(r["results"]))


@app.command()
@friendly_errors
def verdict(
    *,
    baseline: Annotated[str, typer.Option(help="Stable deploy version (or flag variant).")],
    canary: Annotated[str, typer.Option(help="Canary deploy version (or flag variant).")],
    dimension: Annotated[str, typer.Option(help="version or variant.")] = "version",
    window: Annotated[int, typer.Option(min=60, max=7 * 86400, help="Seconds to look back.")] = 6 * 3600,
    service: Annotated[str | None, typer.Option(help="Only this service's slices.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Judge canary against baseline from the SLO recorder's slices (what the HTTP verdict endpoint answers)."""
    from pavedroad.canary import CohortSpec, Policy, SloSlicesSource, judge

    if dimension not in ("version", "variant"):
        raise InvalidInput(
            f"dimension must be version or variant, got {dimension!r}", code="C400", hint="--dimension version"
        )
    spec = CohortSpec(baseline, canary, "version" if dimension == "version" else "variant", service)

    async def go(pool: Any) -> dict[str, Any]:
        now = time.time()
        pairs = await SloSlicesSource(pool).slices(spec, now - window, now)
        return judge(pairs, Policy(), name=f"{dimension}:{baseline}->{canary}", now=now)

    out = _with_pool(go)
    if as_json:
        console.print_json(json.dumps(out))
        return
    colour = {"pass": "green", "fail": "red", "inconclusive": "yellow"}[out["verdict"]]
    console.print(f"[bold {colour}]{out['verdict']}[/] (score {out['score']}): {out['reason']}", highlight=False)
    console.print(_results_table(out["results"]))
