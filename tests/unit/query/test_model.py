"""The semantic model is validated at load; the recruiting model documents every measure."""

from __future__ import annotations

import pytest

from pavedroad.errors import ConfigurationError
from pavedroad.query import parse_model
from pavedroad.query.model import FunctionDef, MeasureDef
from pavedroad.recruiting.model import recruiting_model

BASE = """
name: m
entities:
  a:
    table: a
    fields:
      tenant_id: {type: string, classification: internal}
      id: {type: int, classification: internal}
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "    relations:\n      b: {entity: nope, cardinality: many_to_one, foreign_key: id}\n",
            "unknown entity 'nope'",
        ),
        ("    relations:\n      b: {entity: a, cardinality: many_to_one, foreign_key: zz}\n", "foreign_key 'zz'"),
        ("    derived:\n      d: {expr: 'id +'}\n", "derived.d"),
        ("    bogus: 1\n", "bogus"),
        (
            "    relations:\n      b: {entity: a, cardinality: one_to_many, foreign_key: id, when: {id: x}}\n",
            "'when' narrows a many_to_one relation only",
        ),
        (
            "    relations:\n      b: {entity: a, cardinality: many_to_one, foreign_key: id, also: {id: nope}}\n",
            r"also names unknown fields \['id'\]",
        ),
        (
            "    relations:\n      b: {entity: a, cardinality: many_to_one, foreign_key: id, when: {role: x}}\n",
            r"when names unknown fields \['role'\]",
        ),
    ],
)
def test_bad_models_fail_at_load_naming_the_path(extra: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_model(BASE + extra)


def test_every_measure_and_function_documents_its_choices() -> None:
    model = recruiting_model()
    for ent in model.entities.values():
        documented: list[MeasureDef | FunctionDef] = [*ent.measures.values(), *ent.functions.values()]
        for m in documented:
            assert len(m.description) > 10


def test_time_to_hire_is_a_median_of_calendar_days() -> None:
    assert recruiting_model().entities["applications"].measures["time_to_hire"].expr.startswith("median(days_between")
