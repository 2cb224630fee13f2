"""``pavedroad slo``: validate specs, generate Prometheus rules, show status, rank the worst endpoints."""

from __future__ import annotations

import contextlib
import json
import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.errors import InvalidInput

app = typer.Typer(
    help="SLOs: validate specs, generate Prometheus rules, show budgets and the worst endpoints.", no_args_is_help=True
)

DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "recruiting" / "slos.yaml"
SpecArg = Annotated[list[Path], typer.Argument(help="SLO spec files (Sloth prometheus/v1 or OpenSLO v1).")]
SpecOpt = Annotated[Path, typer.Option("--spec", help="SLO spec file.")]


def _load(paths: list[Path], period: str | None = None, windows: str | None = None) -> list[Any]:
    from pavedroad.slo import load_specs, parse_duration, sloth_alert_windows

    options: dict[str, Any] = {}
    if period:
        options["period_s"] = parse_duration(period)
    if windows:
        path = Path(windows)
        if not path.is_file():
            raise InvalidInput(f"no alert windows file at {path}", hint="pass a Sloth AlertWindows YAML file")
        slo_period, rules = sloth_alert_windows(yaml.safe_load(path.read_text()))
        options.setdefault("period_s", slo_period)
        options["windows"] = rules
    return load_specs(paths, **options)


@app.command()
@friendly_errors
def validate(specs: SpecArg) -> None:
    """Parse and validate spec files; list the SLOs they define."""
    from pavedroad.slo import resolve_windows

    table = Table(title="SLOs")
    table.add_column("id", no_wrap=True)
    for col in ("objective", "period", "SLI", "per tenant", "alert windows"):
        table.add_column(col)
    for slo in _load(specs):
        sli = (
            (
                f"{slo.sli.kind} {slo.sli.method or '*'} {slo.sli.route or '*'}"
                + (f" ≤ {slo.sli.threshold_s * 1000:g} ms" if slo.sli.threshold_s else "")
            )
            if slo.sli
            else "PromQL"
        )
        pairs = resolve_windows(slo.alerting.windows, slo.period_s)
        preset = slo.alerting.windows if isinstance(slo.alerting.windows, str) else "custom"
        windows = f"{preset}: " + ", ".join(f"{w.burn_rate:g}x" for w in pairs)
        table.add_row(
            slo.slo_id,
            f"{slo.objective_percent:g}%",
            f"{slo.period_s / 86400:g}d",
            sli,
            "yes" if slo.per_tenant else "no",
            windows if slo.alerting.enabled else "off",
        )
    console.print(table)


@app.command()
@friendly_errors
def rules(
    specs: SpecArg,
    *,
    sloth: Annotated[bool, typer.Option("--sloth", help="Reproduce Sloth's output exactly (ratio averaging).")] = False,
    period: Annotated[str | None, typer.Option(help="Default SLO period for Sloth specs (e.g. 28d).")] = None,
    windows: Annotated[str | None, typer.Option(help="A Sloth AlertWindows file.")] = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", help="Extra label k=v on recordings.")] = None,
    disable_alerts: Annotated[bool, typer.Option("--disable-alerts")] = False,
    disable_recordings: Annotated[bool, typer.Option("--disable-recordings")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Emit Prometheus recording and alerting rules (default: volume-weighted, low-traffic guarded)."""
    from pavedroad.slo import generate_rules, rules_yaml

    extra = {}
    for item in label or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"label '{item}' is not k=v", hint="e.g. -l team=platform")
        extra[key] = value
    document = generate_rules(
        _load(specs, period, windows),
        mode="sloth" if sloth else "pavedroad",
        extra_labels=extra,
        disable_alerts=disable_alerts,
        disable_recordings=disable_recordings,
    )
    text = rules_yaml(document)
    if out is None:
        print(text, end="")  # rules go to stdout verbatim, for redirection
    else:
        out.write_text(text)
        console.print(f"wrote {sum(len(g['rules']) for g in document['groups'])} rules to {out}")


def _connect() -> tuple[Any, Any]:
    import psycopg

    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    return stack, psycopg.connect(stack.app_url, autocommit=True)


def _fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.1f} ms"


@app.command()
@friendly_errors
def status(
    spec: SpecOpt = DEFAULT_SPEC,
    tenant: Annotated[str | None, typer.Option(help="One tenant's view (per-tenant SLOs).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Budgets, burn rates and firing alerts of every SLO, from the stored slices."""
    from pavedroad.slo import Counts, burndown_query, counts_query, decode_counts, status_windows
    from pavedroad.slo import status as slo_status

    slos = [s for s in _load([spec]) if s.sli is not None]
    stack, conn = _connect()
    now = time.time()
    results = []
    try:
        for slo in slos:
            windows = status_windows(slo)
            scoped = slo.model_copy(update={"per_tenant": tenant is not None})
            text, params = counts_query(scoped, now, windows)
            per = decode_counts(conn.execute(text, params).fetchall(), windows)
            counts = per.get(tenant or "", {w: Counts() for w in windows})
            slices = None
            if slo.budgeting != "Occurrences" and slo.timeslice_s:
                text, params = burndown_query(slo, now - slo.period_s, now, slo.timeslice_s, tenant)
                slices = [Counts(int(r[1]), int(r[2])) for r in conn.execute(text, params).fetchall()]
            results.append(slo_status(slo, counts, now=now, tenant=tenant or "", slices=slices))
    finally:
        conn.close()
        stack.stop()
    if as_json:
        print(json.dumps([r.as_dict() for r in results], default=str))
        return
    table = Table(title=f"SLO status{f' for tenant {tenant}' if tenant else ''}")
    for col in ("SLO", "objective", "SLI", "events", "budget left", "burn 5m / 1h / 6h", "firing", "exhausted in"):
        table.add_column(col)
    for r in results:
        burns = " / ".join(
            "—" if r.burn_rates.get(w) is None else f"{r.burn_rates[w]:.1f}x" for w in ("5m", "1h", "6h")
        )
        left = f"[{'red' if r.budget_remaining < 0 else 'green'}]{r.budget_remaining:.1%}[/]"
        table.add_row(
            r.slo_id,
            f"{r.objective:.3%}",
            "—" if r.sli is None else f"{r.sli:.4%}",
            str(r.events),
            left,
            burns,
            ", ".join(r.firing) or "—",
            "—"
            if r.time_to_exhaustion_s is None or math.isinf(r.time_to_exhaustion_s)
            else f"{r.time_to_exhaustion_s / 3600:.1f} h",
        )
    console.print(table)


@app.command()
@friendly_errors
def top(  # noqa: PLR0917 - one option per CLI flag
    by: Annotated[str, typer.Option(help="p99, p95, p50, p999, error_rate, total or mean.")] = "p99",
    window: Annotated[str, typer.Option(help="Trailing window, e.g. 5m, 1h, 1d.")] = "1h",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    min_events: Annotated[int, typer.Option(min=1, help="Skip routes with fewer requests.")] = 1,
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's requests.")] = None,
    per_tenant: Annotated[bool, typer.Option("--per-tenant", help="Rank route × tenant pairs.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which API call has the worst p99 (or p95, error rate…) over a window."""
    from pavedroad.slo import RANK_BY, decode_top, parse_duration, rank, top_query

    if by not in RANK_BY:
        raise InvalidInput(f"cannot rank by '{by}'", hint=f"use one of {', '.join(RANK_BY)}")
    now = time.time()
    if parse_duration(window) <= 0:
        raise InvalidInput(f"--window {window} is empty", hint="e.g. --window 1h")
    text, params = top_query(now - parse_duration(window), now, service=service, tenant=tenant, by_tenant=per_tenant)
    stack, conn = _connect()
    try:
        entries = rank(decode_top(conn.execute(text, params).fetchall()), by, limit=limit, min_events=min_events)
    finally:
        conn.close()
        stack.stop()
    if as_json:
        print(json.dumps([e.as_dict() for e in entries]))
        return
    table = Table(title=f"worst endpoints by {by} over {window}")
    for col in (
        "route",
        "method",
        *(["tenant"] if per_tenant or tenant else []),
        "requests",
        "errors",
        "p50",
        "p95",
        "p99",
    ):
        table.add_column(col)
    for e in entries:
        table.add_row(
            e.route,
            e.method,
            *([e.tenant or "—"] if per_tenant or tenant else []),
            str(e.total),
            f"{e.error_rate:.2%}",
            _fmt_s(e.p50_s),
            _fmt_s(e.p95_s),
            _fmt_s(e.p99_s),
        )
    console.print(table)


@app.command()
@friendly_errors
def evaluate(
    spec: SpecOpt = DEFAULT_SPEC,
    interval: Annotated[float, typer.Option(min=1.0, help="Seconds between evaluations.")] = 30.0,
    once: Annotated[bool, typer.Option("--once", help="Evaluate once and exit.")] = False,
) -> None:
    """Run the burn-rate alert evaluator over the stored slices (what the worker process runs)."""
    import psycopg

    from pavedroad.clock import SystemClock
    from pavedroad.observability import configure_logging
    from pavedroad.slo import CachedSliceSource, Evaluator, run_evaluator
    from pavedroad.stack import start_stack

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_format)
    slos = _load([spec])
    stack = start_stack(cfg, with_nats=False)
    try:
        evaluator = Evaluator(
            slos,
            CachedSliceSource(lambda: psycopg.connect(stack.app_url, autocommit=True)),
            clock=SystemClock(),
            on_alert=lambda e: console.print(e.summary),
        )
        with contextlib.suppress(KeyboardInterrupt):
            run_evaluator(evaluator, interval_s=interval, iterations=1 if once else None)
        console.print(f"firing: {', '.join(':'.join(k) for k in evaluator.firing) or 'nothing'}")
    finally:
        stack.stop()


@app.command()
@friendly_errors
def prune(
    older_than: Annotated[str, typer.Option(help="Delete slices that started longer ago than this.")] = "35d",
) -> None:
    """Delete old slices (keep at least your longest SLO period; 35 days covers 30-day SLOs)."""
    import psycopg

    from pavedroad.slo import parse_duration
    from pavedroad.slo import prune as prune_slices
    from pavedroad.stack import start_stack

    age = parse_duration(older_than)
    if age < 86400:
        raise InvalidInput(
            f"--older-than {older_than} would delete today's slices",
            hint="keep at least your longest SLO period, e.g. --older-than 35d",
        )
    stack = start_stack(settings(), with_nats=False)
    try:
        with psycopg.connect(stack.owner_url) as conn:
            deleted = prune_slices(conn, time.time() - age)
    finally:
        stack.stop()
    console.print(f"deleted {deleted} slice row(s) older than {older_than}")
