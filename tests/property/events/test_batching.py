"""Micro-batching never changes the result: any split of an event sequence into batches loads the same
rows as loading events one by one (and reloading a prefix changes nothing)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pavedroad.events import Event
from pavedroad.warehouse import Column, Const, Insert, Projection, Table, Update, Warehouse

THINGS = Table(
    "things",
    (
        Column("tenant_id", "VARCHAR", "str"),
        Column("id", "BIGINT", "int"),
        Column("size", "BIGINT", "int"),
        Column("state", "VARCHAR", "str"),
    ),
    ("tenant_id", "id"),
)
PROJ: dict[str, tuple[Projection, ...]] = {
    "made": (Insert("things", {"id": "id", "size": "size", "state": Const("new")}),),
    "sized": (Update("things", {"id": "id", "size": "size"}),),
    "closed": (Update("things", {"id": "id", "state": Const("closed")}),),
}

ops = st.lists(
    st.tuples(
        st.sampled_from(["made", "sized", "closed"]),
        st.sampled_from(["acme", "beta"]),
        st.integers(1, 4),
        st.integers(0, 100),
    ),
    min_size=1,
    max_size=40,
)


def _messages(seq_ops: list[tuple[str, str, int, int]]) -> list[tuple[int, bytes | None, str]]:
    out: list[tuple[int, bytes | None, str]] = []
    for i, (kind, tenant, thing, size) in enumerate(seq_ops, start=1):
        event = Event(
            type=kind,
            tenant_id=tenant,
            aggregate_type="thing",
            aggregate_id=str(thing),
            payload={"id": thing, "size": size},
        )
        out.append((i, event.to_json(), "s"))
    return out


def _state(wh: Warehouse) -> list[tuple[object, ...]]:
    return wh.query("select * from things order by tenant_id, id")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq_ops=ops, cuts=st.lists(st.integers(1, 40), max_size=6), replay_from=st.integers(1, 40))
def test_any_batching_loads_the_same_rows(
    seq_ops: list[tuple[str, str, int, int]], cuts: list[int], replay_from: int
) -> None:
    messages = _messages(seq_ops)
    with Warehouse(":memory:", projections=PROJ, tables=[THINGS]) as single:
        for m in messages:
            single.load([m])
        expected = _state(single)
    with Warehouse(":memory:", projections=PROJ, tables=[THINGS]) as batched:
        bounds = sorted({c for c in cuts if c < len(messages)} | {0, len(messages)})
        for a, b in itertools.pairwise(bounds):
            batched.load(messages[a:b])
        assert _state(batched) == expected
        batched.load(messages[max(0, replay_from - 1) :])  # redelivery of a suffix: skipped by the offset
        assert _state(batched) == expected
        assert batched.offset() == len(messages)
