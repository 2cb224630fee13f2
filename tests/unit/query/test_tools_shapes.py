"""The shape log's pure half: shapes carry no literal values; the buffer is bounded and sampled."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from pavedroad.query import TenantSchema, from_json, parse_text, to_json
from pavedroad.querytools import ShapeBuffer, ShapeRecord, TimedCompiler, shape_id, shape_of
from pavedroad.querytools.shapes import last_compile, make_record
from pavedroad.recruiting.model import recruiting_model

MARK = "pii-marker-3141"


def test_text_and_json_forms_share_one_shape_and_literals_are_lifted() -> None:
    text = f'jobs | where title = "{MARK}" and openings > 17 | select id, title | take 5  # {MARK}'
    shape = shape_of(text)
    assert MARK not in shape
    assert "17" not in shape
    assert shape == "jobs | where title = ?s and openings > ?i | select id, title | take ?i"
    assert shape_of(to_json(parse_text(text))) == shape_of(from_json(to_json(parse_text(text)))) == shape
    assert shape_of(text.replace(MARK, "other")) == shape
    assert len(shape_id(shape)) == 16


def test_buffer_drops_past_capacity_and_counts() -> None:
    buf = ShapeBuffer(capacity=2)
    rec = _record()
    assert [buf.offer(rec) for _ in range(3)] == [True, True, False]
    assert (buf.accepted, buf.dropped, len(buf)) == (2, 1, 2)
    assert len(buf.drain(1)) == 1
    assert len(buf.drain()) == 1
    assert len(buf) == 0


def test_sampling_follows_the_injected_random_source() -> None:
    ref = random.Random(4)
    expected = [ref.random() < 0.3 for _ in range(50)]
    buf = ShapeBuffer(sample=0.3, rng=random.Random(4))
    assert [buf.wants() for _ in range(50)] == expected
    assert not ShapeBuffer(sample=0.0).wants()
    assert ShapeBuffer(sample=1.0).wants()


def _record() -> ShapeRecord:
    compiler = TimedCompiler(clock=iter([1.0, 1.25]).__next__)
    compiler.compile(
        f'jobs | where title = "{MARK}" | select id', model=recruiting_model(), schema=TenantSchema("acme")
    )
    timing = last_compile()
    assert timing is not None
    return make_record("acme", "admin", f'jobs | where title = "{MARK}" | select id', timing, finished=1.75,
                       row_count=3, now=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip


def test_a_record_holds_the_shape_and_template_never_the_values() -> None:
    rec = _record()
    assert MARK not in repr(rec)
    assert rec.compile_us == 250_000  # type: ignore[attr-defined]
    assert rec.exec_us == 500_000  # type: ignore[attr-defined]
    assert rec.shape == "jobs | where title = ?s | select id"  # type: ignore[attr-defined]
    assert "%(l0)s" in rec.sql  # type: ignore[attr-defined]
