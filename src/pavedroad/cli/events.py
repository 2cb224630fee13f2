"""``pavedroad events``: status, the relay, schema compatibility, dead letters, replay into the warehouse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from pavedroad.cli.common import console, err_console, friendly_errors, settings
from pavedroad.errors import InvalidInput

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from pavedroad.events import EventsConfig

T = TypeVar("T")

app = typer.Typer(
    help="Event pipeline: outbox relay, status, schema checks, dead letters, replay.", no_args_is_help=True
)
dlq_app = typer.Typer(
    help="The dead-letter stream: list and replay messages consumers gave up on.", no_args_is_help=True
)
app.add_typer(dlq_app, name="dlq")

_JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def default_snapshot() -> Path:
    """The checked-in snapshot of every registered event schema."""
    return Path(str(resources.files("pavedroad.events").joinpath("schemas.lock.json")))


def load_domain_schemas() -> None:
    """Register the reference domain's event schemas (a user's app imports its own)."""
    import pavedroad.recruiting.events  # noqa: F401 - registers the schemas


@app.command()
@friendly_errors
def status(as_json: _JsonOpt = False) -> None:
    """Outbox backlog, relay lag, stream size, lag per consumer and dead letters, measured now."""
    from pavedroad.events import EventsConfig, gather_status
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=True)
    try:
        report = asyncio.run(gather_status(stack.owner_url, stack.nats_url, EventsConfig()))
    finally:
        stack.stop()
    if as_json:
        print(json.dumps(report.to_dict(), default=str))
        return
    table = Table(title=f"event pipeline — stream {report.stream}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("outbox backlog (undelivered events)", f"{report.outbox_backlog:,}")
    table.add_row("relay lag (oldest undelivered)", f"{report.relay_lag_seconds:.2f} s")
    table.add_row("stream messages / last seq", f"{report.stream_messages:,} / {report.stream_last_seq:,}")
    table.add_row("dead letters", f"{report.dlq_messages:,}")
    for c in report.consumers:
        table.add_row(
            f"consumer {c.name}: pending / unacked / redelivered",
            f"{c.pending:,} / {c.ack_pending:,} / {c.redelivered:,}",
        )
    console.print(table)


@app.command()
@friendly_errors
def relay(
    shard: Annotated[list[int] | None, typer.Option("--shard", help="Relay only these shards (default: all).")] = None,
) -> None:
    """Relay the outbox to JetStream until Ctrl-C (safe to run several: each shard has one owner)."""
    from pavedroad.events import EventsConfig, run_relay
    from pavedroad.observability import configure_logging
    from pavedroad.stack import start_stack

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_format)
    stack = start_stack(cfg, with_nats=True)
    assert stack.nats_url is not None
    try:
        asyncio.run(run_relay(stack.owner_url, stack.nats_url, EventsConfig(), shards=shard))
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


@app.command("check-schemas")
@friendly_errors
def check_schemas(
    snapshot: Annotated[Path | None, typer.Option(help="Snapshot file (default: the checked-in one).")] = None,
    update: Annotated[bool, typer.Option("--update", help="Rewrite the snapshot after a compatible change.")] = False,
) -> None:
    """Fail when an event schema changed in a way that is not purely additive."""
    from pavedroad.events import breaking_changes, load_snapshot, registry, write_snapshot

    load_domain_schemas()
    path = snapshot or default_snapshot()
    current = registry.snapshot()
    problems = breaking_changes(load_snapshot(path), current)
    if problems:
        for problem in problems:
            err_console.print(f"[red]breaking[/] {problem}", highlight=False)
        raise InvalidInput(
            f"{len(problems)} breaking event schema change(s)",
            code="EV409",
            hint="add a new version (`version: ClassVar[int] = 2`) instead of changing a published one",
        )
    if update:
        write_snapshot(path, current)
        console.print(f"snapshot updated: {path}")
    else:
        console.print(f"{len(current)} event schemas compatible with {path.name}")


@dlq_app.command("list")
@friendly_errors
def dlq_list(
    consumer: Annotated[str | None, typer.Option(help="Only this consumer's dead letters.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    as_json: _JsonOpt = False,
) -> None:
    """Dead letters, oldest first: which consumer, which event, how many attempts, the last error."""
    from pavedroad.events import EventsConfig, list_dead_letters

    letters = _with_js(lambda js, cfg: list_dead_letters(js, cfg, consumer=consumer, limit=limit))
    if as_json:
        for d in letters:
            print(json.dumps({k: v for k, v in d.__dict__.items() if k != "data"}))
        return
    table = Table(title=f"dead letters ({len(letters)}) — stream {EventsConfig().dlq_stream}")
    for col in ("seq", "consumer", "event", "attempts", "error"):
        table.add_column(col)
    for d in letters:
        table.add_row(str(d.seq), d.consumer, f"{d.event_type} {d.event_id}", str(d.attempts), d.error[:80])
    console.print(table)


@dlq_app.command("replay")
@friendly_errors
def dlq_replay(
    consumer: Annotated[str | None, typer.Option(help="Replay this consumer's dead letters.")] = None,
    seq: Annotated[list[int] | None, typer.Option("--seq", help="Replay only these dead-letter sequences.")] = None,
) -> None:
    """Send dead letters back to the consumer that failed them (after you fixed the cause)."""
    from pavedroad.events import replay_dead_letters

    letters = _with_js(lambda js, cfg: replay_dead_letters(js, cfg, consumer=consumer, seqs=seq))
    console.print(f"replayed {len(letters)} dead letter(s)")


@app.command()
@friendly_errors
def replay(
    from_seq: Annotated[int, typer.Option("--from", min=1, help="Stream sequence to replay from (1: everything).")],
    path: Annotated[
        Path | None, typer.Option("--warehouse", help="DuckDB file (default: <data dir>/warehouse.duckdb).")
    ] = None,
) -> None:
    """Re-apply the event stream from a sequence into the warehouse (stop the sink first: one writer)."""
    from pavedroad.cli.warehouse import open_with_progress, warehouse_path
    from pavedroad.events import EventsConfig
    from pavedroad.stack import start_stack
    from pavedroad.warehouse import replay_from_stream

    stack = start_stack(settings(), with_nats=True)
    assert stack.nats_url is not None
    try:
        config = EventsConfig()
        with open_with_progress(warehouse_path(path), stack.owner_url, config, "replaying events") as (wh, progress):
            loaded = asyncio.run(
                replay_from_stream(wh, stack.nats_url, from_seq=from_seq, config=config, progress=progress)
            )
        console.print(f"replayed {loaded:,} events into {warehouse_path(path)}")
    finally:
        stack.stop()


def _with_js(action: Callable[[JetStreamContext, EventsConfig], Awaitable[T]]) -> T:
    """Run ``action(js, config)`` against the configured NATS."""
    from pavedroad.events import EventsConfig, connect_nats
    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=True, run_migrations=False)
    assert stack.nats_url is not None
    url = stack.nats_url

    async def go() -> T:
        nc = await connect_nats(url, name="pavedroad-cli")
        try:
            return await action(nc.jetstream(), EventsConfig())
        finally:
            await nc.close()

    try:
        return asyncio.run(go())
    finally:
        stack.stop()
