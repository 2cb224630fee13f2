"""Loading into a DuckDB file (no servers): columnar upserts, exactly-once offsets, poison recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from pavedroad.events import Event
from pavedroad.warehouse import Column, Const, Insert, Projection, Table, Update, Warehouse, export_parquet

THINGS = Table(
    "things",
    (
        Column("tenant_id", "VARCHAR", "str"),
        Column("id", "BIGINT", "int"),
        Column("status", "VARCHAR", "str"),
        Column("size", "DECIMAL(12,2)", "str"),
        Column("made_at", "TIMESTAMPTZ", "str"),
        Column("custom", "JSON", "json"),
    ),
    ("tenant_id", "id"),
)
PROJ: dict[str, tuple[Projection, ...]] = {
    "made": (
        Insert("things", {"id": "id", "status": Const("new"), "size": "size", "made_at": "at", "custom": "custom"}),
    ),
    "sized": (Update("things", {"id": "id", "size": "size"}),),
}


def msg(seq: int, kind: str, **payload: object) -> tuple[int, bytes, str]:
    event = Event(type=kind, tenant_id="acme", aggregate_type="thing", aggregate_id=str(payload["id"]), payload=payload)
    return (seq, event.to_json(), f"p.acme.thing.{kind}")


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "w.duckdb", projections=PROJ, tables=[THINGS], stream="S")


def test_batch_loads_typed_rows_and_moves_the_offset(wh: Warehouse) -> None:
    result = wh.load(
        [
            msg(1, "made", id=1, size="10.50", at="2024-05-01T10:00:00+00:00", custom={"a": 1}),
            msg(2, "made", id=2, size="3", at="2024-05-02T10:00:00+00:00", custom={}),
            msg(3, "sized", id=1, size="11.25"),
        ]
    )
    assert (result.loaded, result.skipped, result.offset) == (3, 0, 3)
    rows = wh.query("select id, status, size::varchar, made_at::date::varchar, custom->>'a' from things order by id")
    assert rows == [(1, "new", "11.25", "2024-05-01", "1"), (2, "new", "3.00", "2024-05-02", None)]
    assert wh.offset() == 3


def test_redelivered_messages_at_or_below_the_offset_are_skipped(wh: Warehouse) -> None:
    """Exactly-once effect: a batch replayed after a crash between commit and ack changes nothing."""
    batch = [msg(1, "made", id=1, size="1", at="2024-05-01T10:00:00+00:00", custom={})]
    wh.load(batch)
    again = wh.load([*batch, msg(2, "sized", id=1, size="2")])
    assert (again.loaded, again.skipped) == (1, 1)
    assert wh.query("select count(*), count(distinct id) from pavedroad_meta.events") == [(2, 2)]


def test_a_failed_batch_leaves_nothing_behind(wh: Warehouse) -> None:
    """Rows, log and offset commit together: a type error rolls the whole batch back."""
    with pytest.raises(Exception, match=r"Conversion|convert|Could not"):
        wh.load([msg(1, "made", id=1, size="not a number", at="2024-05-01T10:00:00+00:00", custom={})])
    assert wh.offset() == 0
    assert wh.query("select count(*) from things") == [(0,)]
    assert wh.query("select count(*) from pavedroad_meta.events") == [(0,)]


def test_poison_is_recorded_not_loaded(wh: Warehouse) -> None:
    result = wh.load(
        [(1, b"garbage", "p.x"), msg(2, "made", id=5, size="1", at="2024-05-01T10:00:00+00:00", custom={})]
    )
    assert (result.loaded, result.rejected, result.offset) == (1, 1, 2)
    assert wh.query("select stream_seq, subject from pavedroad_meta.rejects") == [(1, "p.x")]


def test_second_writer_is_refused(tmp_path: Path) -> None:
    """One writer per file: a second Warehouse on the same file in another process fails loudly."""
    import subprocess
    import sys

    path = tmp_path / "one.duckdb"
    with Warehouse(path, projections=PROJ, tables=[THINGS]):
        code = (
            "from pavedroad.warehouse import Warehouse\n"
            "from pavedroad.errors import Unavailable\n"
            f"try:\n    Warehouse({str(path)!r}, projections={{}})\nexcept Unavailable:\n    raise SystemExit(3)\n"
        )
        assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 3


def test_parquet_export_is_date_partitioned(wh: Warehouse, tmp_path: Path) -> None:
    wh.load(
        [
            msg(1, "made", id=1, size="1", at="2024-05-01T10:00:00+00:00", custom={}),
            msg(2, "made", id=2, size="1", at="2024-05-03T10:00:00+00:00", custom={}),
        ]
    )
    counts = export_parquet(wh, tmp_path / "out")
    assert counts == {"things": 2, "events": 2}
    days = sorted(p.name for p in (tmp_path / "out" / "things").iterdir())
    assert days == ["partition_date=2024-05-01", "partition_date=2024-05-03"]
