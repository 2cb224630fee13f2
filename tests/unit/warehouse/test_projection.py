"""Projections fold a batch into one final row per key, in event order (pure)."""

from __future__ import annotations

import pytest

from pavedroad.errors import ConfigurationError
from pavedroad.warehouse import Const, Insert, Projection, Update, check_projections, fold

PROJ: dict[str, tuple[Projection, ...]] = {
    "made": (Insert("things", {"id": "thing_id", "status": Const("new"), "size": "size"}),),
    "grew": (Update("things", {"id": "thing_id", "size": "size", "seen_at": "@occurred_at"}),),
    "tagged": (Insert("tags", {"thing_id": "thing_id", "tag": "tags[]"}),),
}
KEYS = {"things": ("tenant_id", "id"), "tags": ("tenant_id", "thing_id", "tag")}
T0 = "2024-01-01T00:00:00+00:00"


def test_insert_then_updates_merge_into_one_insert() -> None:
    changes = fold(
        [("made", "acme", {"thing_id": 1, "size": 1}, T0), ("grew", "acme", {"thing_id": 1, "size": 5}, T0)],
        PROJ,
        KEYS,
    )
    assert changes["things"].inserts == {
        ("acme", 1): {"tenant_id": "acme", "id": 1, "status": "new", "size": 5, "seen_at": T0}
    }
    assert changes["things"].updates == {}


def test_updates_without_insert_stay_updates_and_last_write_wins() -> None:
    changes = fold(
        [("grew", "acme", {"thing_id": 2, "size": s}, T0) for s in (3, 4, 9)]
        + [("grew", "beta", {"thing_id": 2, "size": 1}, T0)],
        PROJ,
        KEYS,
    )
    assert changes["things"].updates[("acme", 2)]["size"] == 9
    assert changes["things"].updates[("beta", 2)]["size"] == 1  # tenants never share a key
    assert changes["things"].inserts == {}


def test_fan_out_makes_one_row_per_element_and_unknown_types_are_ignored() -> None:
    changes = fold(
        [("tagged", "acme", {"thing_id": 1, "tags": ["a", "b", "a"]}, T0), ("unrelated", "acme", {}, T0)], PROJ, KEYS
    )
    assert sorted(changes["tags"].inserts) == [("acme", 1, "a"), ("acme", 1, "b")]
    assert set(changes) == {"tags"}


def test_check_projections_names_the_problem() -> None:
    columns = {"things": ("tenant_id", "id", "status", "size", "seen_at"), "tags": ("tenant_id", "thing_id", "tag")}
    check_projections(PROJ, columns, KEYS)
    with pytest.raises(ConfigurationError, match="unknown columns"):
        check_projections({"x": (Insert("things", {"id": "a", "colour": "c"}),)}, columns, KEYS)
    with pytest.raises(ConfigurationError, match="key columns"):
        check_projections({"x": (Update("things", {"size": "s"}),)}, columns, KEYS)
    with pytest.raises(ConfigurationError, match="no such warehouse table"):
        check_projections({"x": (Insert("nope", {"id": "a"}),)}, columns, KEYS)
