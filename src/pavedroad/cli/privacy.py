"""Data subject requests: export or erase one candidate's data, and legal holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pavedroad.cli.common import console, err_console, friendly_errors, settings

app = typer.Typer(help="Data subject requests: export and erase a candidate's data; legal holds.", no_args_is_help=True)

SUBJECT_TABLE = "candidates"
_Candidate = Annotated[int, typer.Option("--candidate", help="Candidate id (per tenant).", min=1)]
_Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id, e.g. acme.")]


@app.command()
@friendly_errors
def export(
    candidate: _Candidate,
    tenant: _Tenant,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON here (default: stdout).")
    ] = None,
) -> None:
    """Print all of a candidate's data as JSON (every table linked to the candidate); audited."""
    import psycopg

    from pavedroad.privacy import export_subject, to_json
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        with psycopg.connect(stack.owner_url) as conn:
            text = to_json(export_subject(conn, tenant, SUBJECT_TABLE, candidate))
    finally:
        stack.stop()
    if output is None:
        print(text)
    else:
        output.write_text(text)
        console.print(f"wrote {output}")


@app.command()
@friendly_errors
def erase(
    candidate: _Candidate,
    tenant: _Tenant,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    warehouse: Annotated[
        Path | None,
        typer.Option("--warehouse", help="DuckDB warehouse (default: <data dir>/warehouse.duckdb if present)."),
    ] = None,
) -> None:
    """Anonymise a candidate everywhere (tables, outbox payloads, the warehouse), keeping non-identifying
    facts; audited."""
    import psycopg

    from pavedroad.cli.guard import stack_registry
    from pavedroad.privacy import erase_in_warehouse, erase_subject
    from pavedroad.stack import start_stack

    cfg = settings()
    warehouse = warehouse or (cfg.data_dir / "warehouse.duckdb")
    if not yes:
        typer.confirm(f"erase candidate {candidate} of tenant {tenant}? This cannot be undone", abort=True)
    stack = start_stack(cfg, with_nats=False)
    warehouse_rows: dict[str, int] | None = None
    try:
        with psycopg.connect(stack.owner_url) as conn:
            report = erase_subject(conn, stack_registry(), tenant, SUBJECT_TABLE, candidate)
            if warehouse.exists():
                import duckdb

                try:
                    with duckdb.connect(str(warehouse)) as duck:
                        warehouse_rows = erase_in_warehouse(
                            duck, conn, stack_registry(), tenant=tenant, table=SUBJECT_TABLE, subject_id=candidate
                        )
                except duckdb.IOException:
                    err_console.print(
                        f"[yellow]the warehouse {warehouse} is held by its writer (the sink); stop it and run"
                        " this command again — erasure is idempotent[/]"
                    )
    finally:
        stack.stop()
    if report.already_erased:
        console.print(f"candidate {candidate} was already erased; nothing to do")
        return
    changed = ", ".join(f"{t}: {n}" for t, n in report.rows_changed.items() if n)
    if warehouse_rows is not None:
        console.print(f"warehouse {warehouse}: {sum(warehouse_rows.values())} row(s) anonymised")
    console.print(
        f"erased candidate {candidate}: {report.total} row(s) anonymised ({changed});"
        f" {report.outbox_events_scrubbed} outbox event(s) scrubbed"
    )


@app.command()
@friendly_errors
def hold(
    candidate: _Candidate,
    tenant: _Tenant,
    reason: Annotated[str, typer.Option("--reason", help="Why (a case number, not personal data).")],
    release: Annotated[bool, typer.Option("--release", help="Release the candidate's active holds.")] = False,
) -> None:
    """Place (or release) a legal hold: a held candidate cannot be erased."""
    import psycopg

    from pavedroad.privacy import place_hold, release_holds
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        with psycopg.connect(stack.owner_url) as conn:
            if release:
                count = release_holds(conn, tenant, SUBJECT_TABLE, candidate, reason=reason)
                console.print(f"released {count} hold(s) on candidate {candidate}")
            else:
                hold_id = place_hold(conn, tenant, SUBJECT_TABLE, candidate, reason=reason)
                console.print(f"placed legal hold {hold_id} on candidate {candidate}")
    finally:
        stack.stop()
