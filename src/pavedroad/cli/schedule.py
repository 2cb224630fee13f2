"""``pavedroad schedule``: solve an interview-scheduling request from a file, or write an example one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors
from pavedroad.errors import InvalidInput

app = typer.Typer(
    help="Interview scheduling: solve a request file (earliest, balanced), or say why nothing fits.",
    no_args_is_help=True,
)

MAX_FILE_BYTES = 2_000_000


def _read(path: Path) -> Any:
    """The file's JSON (``-`` reads stdin); a missing, oversized or malformed file is a clear error."""
    from pavedroad.scheduling import SchedulingInputError

    if str(path) == "-":
        text = typer.get_text_stream("stdin").read(MAX_FILE_BYTES + 1)
    else:
        if not path.is_file():
            raise InvalidInput(f"no such file: {path}", code="S400", hint="pass the path of a JSON request")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SchedulingInputError(f"{path} is over {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8", errors="replace")
    if len(text) > MAX_FILE_BYTES:
        raise SchedulingInputError(f"the request is over {MAX_FILE_BYTES} bytes")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SchedulingInputError(f"{path} is not JSON: {exc}", hint="see docs/scheduling.md for the format") from None


@app.command()
@friendly_errors
def solve(
    file: Annotated[Path, typer.Argument(help="A JSON scheduling request (- for stdin).")],
    *,
    time_limit: Annotated[float, typer.Option(min=0.1, max=600, help="Wall-clock limit in seconds.")] = 10.0,
    seed: Annotated[int, typer.Option(min=0, help="Solver seed (same input and seed, same schedule).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the schedule as JSON.")] = False,
) -> None:
    """Schedule the request's candidates; print the schedule, or why none exists."""
    from pavedroad.scheduling import SolveOptions, parse_request
    from pavedroad.scheduling import solve as run

    request = parse_request(_read(file))
    schedule = run(request, SolveOptions(time_limit_s=time_limit, seed=seed))
    if as_json:
        console.print_json(schedule.model_dump_json())
        return
    if schedule.explanation is not None:
        console.print(f"[bold red]no schedule:[/] {schedule.explanation.headline}", highlight=False)
        for member in schedule.explanation.conflict:
            console.print(f"  - {member.text}", highlight=False)
        for relax in schedule.explanation.relaxations:
            console.print(f"  [green]→[/] {relax.text}", highlight=False)
        raise typer.Exit(1)
    names = {p.id: p.name for p in request.interviewers}
    table = Table(title=f"{schedule.status} ({schedule.solver}, {schedule.wall_ms:.0f} ms)")
    for col in ("candidate", "session", "start (UTC)", "end", "interviewers", "room"):
        table.add_column(col)
    for p in sorted(schedule.placements, key=lambda p: (p.candidate, p.start)):
        seats = ", ".join(names[s.interviewer] + ("" if s.role == "lead" else f" ({s.role})") for s in p.seats)
        table.add_row(p.candidate, p.session, f"{p.start:%a %d %b %H:%M}", f"{p.end:%H:%M}", seats, p.room or "")
    console.print(table)
    if schedule.unscheduled:
        console.print(f"not scheduled: {', '.join(schedule.unscheduled)}")
    if schedule.objectives is not None:
        o = schedule.objectives
        console.print(
            f"[dim]finish {o.finish_slots} slots, load cost {o.load_cost}, new interview days "
            f"{o.new_interview_days}, gap {schedule.gap:.1%}[/]"
        )


@app.command()
@friendly_errors
def example(
    interviewers: Annotated[int, typer.Option(min=1, max=1000, help="Interviewers to generate.")] = 20,
    candidates: Annotated[int, typer.Option(min=1, max=60, help="Candidates to generate.")] = 1,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 0,
) -> None:
    """Print a generated, realistic request (two weeks, a five-session onsite) to start from."""
    from pavedroad.scheduling import generate_request

    typer.echo(json.dumps(generate_request(interviewers, candidates, seed), indent=2))
