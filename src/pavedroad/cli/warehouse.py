"""``pavedroad warehouse``: run the sink, rebuild from Postgres or the stream, export Parquet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress

from pavedroad.cli.common import console, friendly_errors, settings

if TYPE_CHECKING:
    from pavedroad.events import EventsConfig
    from pavedroad.warehouse import Warehouse

app = typer.Typer(help="The DuckDB warehouse: sink, rebuild, Parquet export.", no_args_is_help=True)

_PathOpt = Annotated[Path | None, typer.Option("--path", help="DuckDB file (default: <data dir>/warehouse.duckdb).")]


def warehouse_path(path: Path | None) -> Path:
    """The DuckDB file: ``path``, or ``<data dir>/warehouse.duckdb`` (its folder created)."""
    found = path or settings().data_dir / "warehouse.duckdb"
    found.parent.mkdir(parents=True, exist_ok=True)
    return found


@contextmanager
def open_with_progress(
    path: Path, owner_url: str, config: EventsConfig, label: str
) -> Iterator[tuple[Warehouse, Callable[[str, int, int], None]]]:
    """The recruiting warehouse opened as its one writer, with a progress bar for long loads."""
    from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS
    from pavedroad.warehouse import Warehouse

    with (
        Warehouse.open(path, owner_url=owner_url, table_names=MIRRORED_TABLES, projections=PROJECTIONS,
                       stream=config.stream) as wh,
        Progress(console=console) as bar,
    ):  # fmt: skip
        task = bar.add_task(label, total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label}: {what}" if what else label, completed=done, total=total)

        yield wh, progress


@app.command()
@friendly_errors
def sink(path: _PathOpt = None) -> None:
    """Load events into the warehouse until Ctrl-C (the file's only writer)."""
    from pavedroad.events import EventsConfig
    from pavedroad.observability import configure_logging
    from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS
    from pavedroad.stack import start_stack
    from pavedroad.warehouse import run_sink

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_format)
    stack = start_stack(cfg, with_nats=True)
    assert stack.nats_url is not None
    try:
        asyncio.run(
            run_sink(
                stack.nats_url,
                warehouse_path(path),
                projections=PROJECTIONS,
                table_names=MIRRORED_TABLES,
                owner_url=stack.owner_url,
                config=EventsConfig(),
            )
        )
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


@app.command()
@friendly_errors
def rebuild(
    path: _PathOpt = None,
    from_stream: Annotated[
        bool, typer.Option("--from-stream", help="Replay the whole event stream instead of copying Postgres.")
    ] = False,
) -> None:
    """Rebuild the warehouse from Postgres history (default) or from the event stream (stop the sink first)."""
    from pavedroad.events import EventsConfig
    from pavedroad.stack import start_stack
    from pavedroad.warehouse import rebuild_from_postgres, replay_from_stream

    stack = start_stack(settings(), with_nats=True)
    config = EventsConfig()
    try:
        with open_with_progress(warehouse_path(path), stack.owner_url, config, "rebuilding") as (wh, progress):
            if from_stream:
                assert stack.nats_url is not None
                loaded = asyncio.run(replay_from_stream(wh, stack.nats_url, config=config, progress=progress))
                summary = f"{loaded:,} events replayed"
            else:
                counts = rebuild_from_postgres(
                    wh, stack.owner_url, nats_url=stack.nats_url, config=config, progress=progress
                )
                offset = counts.pop("offset")
                summary = ", ".join(f"{n} {c:,}" for n, c in counts.items()) + f"; stream offset {offset:,}"
        console.print(f"rebuilt {warehouse_path(path)}: {summary}")
    finally:
        stack.stop()


@app.command()
@friendly_errors
def export(
    out: Annotated[Path, typer.Option("--out", help="Directory for the Parquet files.")] = Path("warehouse-parquet"),
    path: _PathOpt = None,
) -> None:
    """Export every table as date-partitioned Parquet (stop the sink first, or call export in its process)."""
    from pavedroad.recruiting.events import PROJECTIONS
    from pavedroad.warehouse import Warehouse, export_parquet

    with Warehouse(warehouse_path(path), projections=PROJECTIONS) as wh:
        counts = export_parquet(wh, out)
    console.print(f"exported {sum(counts.values()):,} rows from {len(counts)} tables to {out}")
