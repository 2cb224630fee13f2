"""Size, depth and encodability are checked before anything recurses over a query, in either form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pavedroad.query import Compiler, Limits, QueryError, QueryLimitError, from_json, parse_text, to_json, to_text
from pavedroad.query.binding import BindInput, bind
from pavedroad.query.context import Slot
from pavedroad.query.overlay import TenantSchema
from pavedroad.query.text import unquote
from pavedroad.recruiting.model import recruiting_model
from pavedroad.service.errors import ErrorResponse

ROOMY = Limits(max_length=1_000_000)  # length alone would refuse these; depth must still hold


@pytest.mark.parametrize(
    "query",
    [
        "jobs | where " + " and ".join(["true"] * 20_000),
        "jobs | derive x = " + " + ".join(["1"] * 20_000),
        "jobs | where " + "not " * 3000 + "true",
        "jobs | derive x = " + "-" * 3000 + "1",
        "jobs | derive x = " + "coalesce(" * 3000 + "1" + ")" * 3000,
    ],
    ids=["and", "plus", "not", "neg", "calls"],
)
def test_deep_text_is_q402_not_a_recursion_error(query: str) -> None:
    with pytest.raises(QueryLimitError) as caught:
        parse_text(query, ROOMY)
    assert caught.value.code == "Q402"
    assert caught.value.span is not None
    assert caught.value.span.end > caught.value.span.start  # the caret covers what the user wrote


def test_the_too_deep_not_is_the_one_pointed_at() -> None:
    query = "jobs | where " + "not " * 50 + "true"
    with pytest.raises(QueryLimitError) as caught:
        parse_text(query)
    assert caught.value.span is not None
    assert caught.value.span.start == len("jobs | where ") + 4 * 40  # the 41st 'not'


def test_depth_within_the_limit_still_parses_and_prints() -> None:
    query = "jobs | where " + "not " * 39 + "true"
    assert parse_text(to_text(parse_text(query))) == parse_text(query)


def test_redundant_parentheses_add_no_depth() -> None:
    parse_text("jobs | derive x = " + "(" * 3000 + "1" + ")" * 3000)


def test_too_long_text_is_q401_before_parsing() -> None:
    with pytest.raises(QueryLimitError) as caught:
        parse_text("jobs | where " + " and ".join(["true"] * 20_000))
    assert caught.value.code == "Q401"


def test_too_many_expressions_is_q401() -> None:
    query = "jobs | where id in (" + ", ".join(str(i) for i in range(50)) + ")"
    with pytest.raises(QueryLimitError) as caught:
        parse_text(query, Limits(max_nodes=20))
    assert caught.value.code == "Q401"


def _nested_json(depth: int) -> dict[str, Any]:
    expr: dict[str, Any] = {"value": True}
    for _ in range(depth):
        expr = {"op": "not", "args": [expr]}
    return {"from": "jobs", "steps": [{"where": expr}]}


@pytest.mark.parametrize("depth", [41, 200, 5000])
def test_deep_json_is_q402_with_a_pointer(depth: int) -> None:
    with pytest.raises(QueryLimitError) as caught:
        from_json(_nested_json(depth))
    assert caught.value.code == "Q402"
    assert caught.value.span is not None
    assert caught.value.span.pointer is not None
    assert caught.value.span.pointer.startswith("/steps/0/where/args/0")


def test_json_within_the_depth_limit_round_trips() -> None:
    raw = _nested_json(39)
    assert from_json(to_json(from_json(raw))) == from_json(raw)


def test_deep_junk_beside_a_json_query_is_refused_before_any_walk() -> None:
    junk: Any = []
    for _ in range(5000):
        junk = [junk]
    with pytest.raises(QueryLimitError):
        from_json({"from": "jobs", "steps": [], "note": junk})


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ({"from": "jobs\ud800", "steps": []}, "/from"),
        ({"from": "jobs", "steps": [{"where": {"field": "title\udfff"}}]}, "/steps/0/where/field"),
        ({"from": "jobs", "steps": [{"where": {"value": "x", "\ud800": 1}}]}, "/steps/0/where"),
    ],
    ids=["value", "field", "key"],
)
def test_lone_surrogate_in_json_is_q102_at_its_pointer(raw: dict[str, Any], pointer: str) -> None:
    with pytest.raises(QueryError) as caught:
        from_json(raw)
    assert caught.value.code == "Q102"
    assert caught.value.span is not None
    assert caught.value.span.pointer == pointer


@pytest.mark.parametrize(
    "expr",
    [
        {"case": "ab"},
        {"case": [[{"value": 1}]]},
        {"in": {"field": "id"}, "items": 5},
        {"op": ["="], "args": [{"value": 1}, {"value": 1}]},
        {"call": {"x": 1}, "args": []},
        {"param": 5},
    ],
    ids=["case-text", "case-pair", "in-items", "op-list", "call-object", "param-number"],
)
def test_malformed_json_shapes_are_q102(expr: dict[str, Any]) -> None:
    with pytest.raises(QueryError) as caught:
        from_json({"from": "jobs", "steps": [{"where": expr}]})
    assert caught.value.code == "Q102"


def test_a_derived_name_must_be_an_identifier() -> None:
    with pytest.raises(QueryError) as caught:
        from_json({"from": "jobs", "steps": [{"derive": [{"name": 5, "expr": {"value": 1}}]}]})
    assert caught.value.span is not None
    assert caught.value.span.pointer == "/steps/0/derive/0/name"


def test_surrogate_pair_escapes_decode_to_one_character() -> None:
    assert unquote('"\\ud83d\\ude00"') == "\U0001f600"
    assert unquote('"\\ud800x"') == "\\ud800x"  # a lone one is kept as written: never unencodable


@pytest.mark.parametrize(
    ("query", "column"),
    [('jobs | where title = "a\udc80"', 24), ('jobs | where title = "\\ud800"', 23)],
    ids=["raw", "escape"],
)
def test_lone_surrogate_in_text_is_q101_at_its_column(query: str, column: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_text(query)
    assert caught.value.code == "Q101"
    assert caught.value.span is not None
    assert caught.value.span.column == column


def test_an_escaped_backslash_before_u_is_not_a_surrogate_escape() -> None:
    parse_text('jobs | where title = "\\\\ud800"  # a comment may say \\ud800 too')


def test_a_cache_hit_refuses_a_surrogate_literal_too() -> None:
    """The compiled-shape cache skips the parser; the text is still checked before any value is bound."""
    compiler = Compiler()
    schema = TenantSchema("alpha")
    compiler.compile('jobs | where title = "abc"', model=recruiting_model(), schema=schema)
    for text in ('jobs | where title = "\\ud800"', 'jobs | where title = "\udc80"'):
        with pytest.raises(QueryError) as caught:
            compiler.compile(text, model=recruiting_model(), schema=schema)
        assert caught.value.code == "Q101"


def _binding(params: dict[str, Any], cursor: list[Any] | None = None) -> BindInput:
    from datetime import UTC, datetime

    return BindInput([], params, "alpha", datetime(2024, 1, 1, tzinfo=UTC), cursor, Limits())


def test_lone_surrogate_in_a_parameter_or_cursor_is_q108() -> None:
    with pytest.raises(QueryError, match=r"character 2 of \$name") as caught:
        bind((Slot("p0", "param", "name", type="string"),), _binding({"name": "A\ud800"}))
    assert caught.value.code == "Q108"
    with pytest.raises(QueryError, match="of cursor"):
        bind((Slot("p0", "cursor", 0, type="string"),), _binding({}, ["\udfff"]))


def test_error_bodies_encode_even_with_a_surrogate_in_them() -> None:
    body = ErrorResponse({"message": "bad key 'a\ud800'"}).body
    assert json.loads(bytes(body)) == {"message": "bad key 'a\ud800'"}
