"""Both forms, one AST: text and JSON parse to equal ASTs and each prints back to itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pavedroad.query import QueryError, from_json, parse_text, to_json, to_text
from pavedroad.query import ast as qa

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "query"
QUERIES = [  # every golden query that parses (not the syntax-error cases, Q100/Q101)
    c.read_text().split("--- query\n", 1)[1].split("\n--- ", 1)[0]
    for c in sorted(GOLDEN.glob("*.case"))
    if "--- error\nQ100 " not in c.read_text() and "--- error\nQ101 " not in c.read_text()
]


@pytest.mark.parametrize("text", QUERIES)
def test_text_round_trips_through_the_printer(text: str) -> None:
    """parse(print(parse(q))) == parse(q)."""
    ast = parse_text(text)
    assert parse_text(to_text(ast)) == ast


@pytest.mark.parametrize("text", QUERIES)
def test_json_round_trips_and_equals_the_text_form(text: str) -> None:
    """The JSON form of a query parses to the same AST as its text form."""
    ast = parse_text(text)
    wire = json.loads(json.dumps(to_json(ast)))
    assert from_json(wire) == ast


def test_steps_and_expressions_parse_to_the_expected_nodes() -> None:
    q = parse_text(
        "from applications  # comment\n"
        "| where a in (1, 2) and not b between 1 and 3 or c is not null\n"
        "| derive d = case when x then 1 else 2 end, e = -f * (g + 1.5)\n"
        "| sort x desc, -y, z\n| take $n"
    )
    assert q.entity == "applications"
    where, derive, sort, take = q.steps
    assert isinstance(where, qa.Where)
    assert isinstance(where.expr, qa.BinOp)
    assert where.expr.op == "or"
    assert isinstance(derive, qa.Derive)
    assert [i.name for i in derive.items] == ["d", "e"]
    assert isinstance(sort, qa.Sort)
    assert [k.descending for k in sort.keys] == [True, True, False]
    assert take == qa.Take(qa.Param("n"))


def test_intervals_and_strings() -> None:
    q = parse_text("""jobs | where opened_at > now() - 3 weeks and title = 'It\\'s "fine"'""")
    expr = q.steps[0].expr  # type: ignore[union-attr]
    assert isinstance(expr, qa.BinOp)
    assert expr.left.right.right == qa.Interval(qa.Lit(3), "week")  # type: ignore[union-attr]
    assert expr.right.right == qa.Lit('It\'s "fine"')  # type: ignore[union-attr]


def test_spans_point_at_the_source() -> None:
    q = parse_text("applications\n| group stage.name")
    item = q.steps[0].items[0]  # type: ignore[union-attr]
    assert (item.expr.span.line, item.expr.span.column, item.expr.span.start, item.expr.span.end) == (2, 9, 21, 31)


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        ({"steps": []}, ""),
        ({"from": "jobs", "steps": [{"wher": {}}]}, "/steps/0"),
        ({"from": "jobs", "steps": [{"where": {"op": "??", "args": []}}]}, "/steps/0/where"),
        ({"from": "jobs", "steps": [{"take": {"field": "x"}}]}, "/steps/0/take"),
        ({"from": "jobs", "steps": [{"where": {"field": "a b"}}]}, "/steps/0/where"),
    ],
)
def test_bad_json_is_a_structured_error_with_a_pointer(raw: dict[str, object], pointer: str) -> None:
    with pytest.raises(QueryError) as err:
        from_json(raw)
    assert err.value.code == "Q102"
    assert err.value.span is not None
    assert err.value.span.pointer == pointer
