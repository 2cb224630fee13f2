"""The warehouse sink: the DuckDB mirror equals Postgres after domain writes flow through the stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pavedroad.events import EventsConfig, Relay
from pavedroad.events.streams import ensure_streams, stream_last_seq
from pavedroad.recruiting import commands as rc
from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS
from pavedroad.tenancy import atransaction
from pavedroad.testing import TestDatabase
from pavedroad.warehouse import SinkStats, Warehouse, export_parquet, rebuild_from_postgres, run_sink, run_sink_once
from pavedroad.warehouse import sink as sink_module
from tests.integration.events.conftest import World
from tests.integration.events.streams import drain

FACTS = (
    "candidates",
    "applications",
    "stage_transitions",
    "interviews",
    "interview_participants",
    "scorecards",
    "offers",
)


async def write_history(pool: AsyncConnectionPool, world: World, n: int = 6, *, first: int = 0) -> list[int]:
    """A few applications taken through every command (candidates numbered from ``first``)."""
    ids = []
    for i in range(first, first + n):
        async with atransaction(pool, world.recruiter) as tx:
            created = await rc.create_application(
                tx,
                world.recruiter,
                rc.NewApplication(
                    job_id=world.job_id,
                    source_id=world.source_id,
                    candidate=rc.NewCandidate(first_name="Grace", last_name=f"H{i}", email=f"g{i}@example.com"),
                ),
            )
            ids.append(created.application_id)
        async with atransaction(pool, world.recruiter) as tx:
            await rc.move_stage(tx, world.recruiter, created.application_id, world.stage_ids[1])
        if i % 3 == 0:
            async with atransaction(pool, world.recruiter) as tx:
                await rc.archive_application(tx, world.recruiter, created.application_id, "withdrew")
            continue
        async with atransaction(pool, world.recruiter) as tx:
            interview = await rc.schedule_interview(
                tx,
                world.recruiter,
                created.application_id,
                stage_id=world.stage_ids[2],
                scheduled_at=datetime.now(UTC) + timedelta(days=1),
                participant_ids=[world.interviewer.user_id or 0],
            )
        async with atransaction(pool, world.interviewer) as tx:
            await rc.submit_scorecard(tx, world.interviewer, interview, recommendation="yes", overall_rating=4)
        async with atransaction(pool, world.recruiter) as tx:
            offer = await rc.extend_offer(tx, world.recruiter, created.application_id, salary="123456.78")
        async with atransaction(pool, world.recruiter) as tx:
            await rc.resolve_offer(tx, world.recruiter, offer, "accepted" if i % 3 == 1 else "declined")
        if i % 3 == 1:
            async with atransaction(pool, world.recruiter) as tx:
                await rc.hire_application(tx, world.recruiter, created.application_id)
    return ids


def pg_rows(owner_url: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(owner_url) as conn:
        conn.execute("set timezone to 'UTC'")
        return sorted(conn.execute(f"select * from {table}").fetchall(), key=repr)


def duck_rows(wh: Warehouse, table: str) -> list[tuple[Any, ...]]:
    wh.duck.execute("set timezone = 'UTC'")
    return sorted(wh.query(f'select * from "{table}"'), key=repr)


def _normalise(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Postgres gives dicts for jsonb, DuckDB gives JSON text; compare values."""
    import json

    return [tuple(json.loads(v) if isinstance(v, str) and v[:1] in ("{", "[") else v for v in r) for r in rows]


async def run_pipeline(database: TestDatabase, nats_url: str, config: EventsConfig, path: Path) -> SinkStats:
    relay = Relay(database.owner_url, nats_url, config)
    await relay.connect()
    try:
        published = await drain(relay, database.owner_url)
    finally:
        await relay.close()
    stats = SinkStats()
    sink = asyncio.create_task(
        run_sink_once(
            nats_url,
            path,
            projections=PROJECTIONS,
            table_names=MIRRORED_TABLES,
            owner_url=database.owner_url,
            config=config,
            stats=stats,
        )
    )
    for _ in range(400):
        await asyncio.sleep(0.05)
        if stats.loaded >= published or sink.done():
            break
    sink.cancel()
    outcome = await asyncio.gather(sink, return_exceptions=True)
    assert stats.loaded == published, outcome
    return stats


async def test_mirror_equals_postgres_after_commands(  # noqa: PLR0917 - pytest injects fixtures by name
    database: TestDatabase,
    world: World,
    app_pool: AsyncConnectionPool,
    nats_url: str,
    events_config: EventsConfig,
    tmp_path: Path,
) -> None:
    """Every fact table in DuckDB holds exactly Postgres' rows, column for column, after the stream is loaded."""
    await write_history(app_pool, world)
    path = tmp_path / "wh.duckdb"
    await run_pipeline(database, nats_url, events_config, path)
    with Warehouse(path, projections=PROJECTIONS) as wh:
        for table in FACTS:
            assert _normalise(duck_rows(wh, table)) == _normalise(pg_rows(database.owner_url, table)), table
        assert duck_rows(wh, "jobs")  # dimensions were copied from Postgres
        events = wh.query("select count(*), count(distinct id) from pavedroad_meta.events")[0]
        assert events[0] == events[1]


async def test_rebuild_from_postgres_equals_stream_build(  # noqa: PLR0917 - pytest injects fixtures by name
    database: TestDatabase,
    world: World,
    app_pool: AsyncConnectionPool,
    nats_url: str,
    events_config: EventsConfig,
    tmp_path: Path,
) -> None:
    """A warehouse rebuilt from Postgres history has the same facts as one built from the stream."""
    await write_history(app_pool, world, n=4)
    streamed = tmp_path / "streamed.duckdb"
    await run_pipeline(database, nats_url, events_config, streamed)
    rebuilt = tmp_path / "rebuilt.duckdb"
    with Warehouse.open(
        rebuilt,
        owner_url=database.owner_url,
        table_names=MIRRORED_TABLES,
        projections=PROJECTIONS,
        stream=events_config.stream,
    ) as wh:
        counts = await asyncio.to_thread(
            rebuild_from_postgres, wh, database.owner_url, nats_url=nats_url, config=events_config
        )
        assert counts["applications"] == 4
        assert counts["offset"] > 0
        assert wh.offset() == counts["offset"]
        export = export_parquet(wh, tmp_path / "parquet")
        assert export["applications"] == 4
    assert list((tmp_path / "parquet" / "applications").glob("partition_date=*/*.parquet"))
    with Warehouse(streamed, projections=PROJECTIONS) as a, Warehouse(rebuilt, projections=PROJECTIONS) as b:
        for table in FACTS:
            assert _normalise(duck_rows(a, table)) == _normalise(duck_rows(b, table)), table


async def _recreate_stream(nats_url: str, config: EventsConfig, replay: int) -> int:
    """Delete the stream and create it again (sequences restart at 1), then publish its first ``replay``
    messages again, as an operator restoring events would; return how many messages it held."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        held = await stream_last_seq(js, config.stream)
        old = [await js.get_msg(config.stream, seq) for seq in range(1, replay + 1)]
        await js.delete_stream(config.stream)
        await ensure_streams(js, config)
        for msg in old:
            await js.publish(msg.subject or "", msg.data or b"")
        return held
    finally:
        await nc.close()


async def test_sink_follows_a_recreated_stream(  # noqa: PLR0917 - pytest injects fixtures by name
    database: TestDatabase,
    world: World,
    app_pool: AsyncConnectionPool,
    nats_url: str,
    events_config: EventsConfig,
    tmp_path: Path,
) -> None:
    """After the stream is deleted and created again (sequences restart at 1) the sink loads the new
    stream's events instead of skipping them as "at or below the offset"; events of the old stream that
    reappear in the new one are recognised by id and not loaded twice."""
    path = tmp_path / "wh.duckdb"
    await write_history(app_pool, world, n=3)
    first = await run_pipeline(database, nats_url, events_config, path)
    held = await _recreate_stream(nats_url, events_config, replay=4)
    assert first.offset == held > 4
    await write_history(app_pool, world, n=2, first=3)
    second = await run_pipeline(database, nats_url, events_config, path)  # waits until the new events are in
    assert second.loaded > 0
    with Warehouse(path, projections=PROJECTIONS) as wh:
        for table in FACTS:
            assert _normalise(duck_rows(wh, table)) == _normalise(pg_rows(database.owner_url, table)), table
        total, distinct = wh.query("select count(*), count(distinct id) from pavedroad_meta.events")[0]
        assert total == distinct == first.loaded + second.loaded
    assert second.offset == 4 + second.loaded  # the new stream: 4 replayed messages, then the new events


async def test_a_running_sink_notices_the_stream_was_recreated(  # noqa: PLR0917 - pytest injects fixtures by name
    database: TestDatabase,
    world: World,
    app_pool: AsyncConnectionPool,
    nats_url: str,
    events_config: EventsConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stream is deleted and created again under a sink that keeps running: once idle, the sink sees the
    new incarnation, restarts its offset and loads the new stream's events."""
    monkeypatch.setattr(sink_module, "_IDENTITY_CHECK_S", 0.2)  # check at once instead of after 5 s idle
    await write_history(app_pool, world, n=2)
    relay = Relay(database.owner_url, nats_url, events_config)
    await relay.connect()
    stats = SinkStats()
    sink = asyncio.create_task(
        run_sink(nats_url, tmp_path / "wh.duckdb", projections=PROJECTIONS, table_names=MIRRORED_TABLES,
                 owner_url=database.owner_url, config=events_config, stats=stats)
    )  # fmt: skip
    try:
        before = await drain(relay, database.owner_url)
        await _until(lambda: stats.loaded >= before)
        await _recreate_stream(nats_url, events_config, replay=0)
        await write_history(app_pool, world, n=2, first=2)
        after = await drain(relay, database.owner_url)
        await _until(lambda: stats.loaded >= before + after)
        assert stats.loaded == before + after
        assert stats.offset == after
    finally:
        sink.cancel()
        await asyncio.gather(sink, return_exceptions=True)
        await relay.close()


async def _until(done: Callable[[], bool], *, attempts: int = 600) -> None:
    for _ in range(attempts):
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the sink did not load the events in time")
