"""Targeting rules are compiled once and mean what they mean in flagd."""

from __future__ import annotations

import copy

import pytest

from pavedroad.flags import RuleError, compile_rule, validate_targeting


@pytest.mark.parametrize(
    ("rule", "ctx", "expected"),
    [
        ({"==": [{"var": "a"}, 1]}, {"a": "1"}, True),
        ({"===": [{"var": "a"}, 1]}, {"a": "1"}, False),
        ({"!=": [{"var": "a"}, "x"]}, {"a": "y"}, True),
        ({"<": [1, {"var": "n"}, 10]}, {"n": 5}, True),
        ({"<": [1, {"var": "n"}, 10]}, {"n": 50}, False),
        ({">=": [{"var": "n"}, 3]}, {"n": "abc"}, False),
        ({"in": [{"var": "t"}, ["acme", "globex"]]}, {"t": "acme"}, True),
        ({"in": ["cme", {"var": "t"}]}, {"t": "acme"}, True),
        ({"and": [True, {"var": "x"}]}, {"x": 0}, 0),
        ({"or": [False, {"var": "x"}, "z"]}, {"x": ""}, "z"),
        ({"!": [{"var": "missing"}]}, {}, True),
        ({"cat": ["a", 1, True, None]}, {}, "a1truenull"),
        ({"substr": ["pavedroad", 5]}, {}, "road"),
        ({"substr": ["pavedroad", 0, -4]}, {}, "paved"),
        ({"+": [1, "2", 3.5]}, {}, 6.5),
        ({"%": [7, 0]}, {}, None),
        ({"max": [1, 9, 3]}, {}, 9),
        ({"var": ["user.plan", "free"]}, {"user": {}}, "free"),
        ({"var": "list.1"}, {"list": ["a", "b"]}, "b"),
        ({"missing": ["a", "b"]}, {"a": 1}, ["b"]),
        ({"map": [[1, 2], {"*": [{"var": ""}, 2]}]}, {}, [2, 4]),
        ({"reduce": [[1, 2, 3], {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]}, {}, 6),
        ({"starts_with": [{"var": "email"}, "ops@"]}, {"email": "ops@acme.io"}, True),
        ({"ends_with": [{"var": "n"}, "x"]}, {"n": 5}, None),
        ({"sem_ver": [{"var": "v"}, ">=", "1.2.0"]}, {"v": "v1.10.0"}, True),
        ({"sem_ver": [{"var": "v"}, "~", "1.2.0"]}, {"v": "1.3.0"}, False),
        ({"sem_ver": [{"var": "v"}, "<", "2.0.0"]}, {"v": "2.0.0-rc.1"}, True),
        ({"if": [{"var": "a"}, "x", {"var": "b"}, "y", "z"]}, {"b": 1}, "y"),
    ],
)
def test_operators_follow_json_logic(rule: object, ctx: dict[str, object], expected: object) -> None:
    """Each operator gives the JSON Logic/flagd answer, with JavaScript coercion where JSON Logic has it."""
    assert compile_rule(rule)(ctx) == expected


def test_compiled_rule_does_not_read_the_json_again() -> None:
    """Compilation captures the rule: mutating the source afterwards changes nothing (no interpretation)."""
    rule = {"if": [{"in": [{"var": "tenant"}, ["acme"]]}, "on", "off"]}
    compiled = compile_rule(rule)
    original = copy.deepcopy(rule)
    rule["if"][0]["in"][1].append("globex")  # type: ignore[index]
    rule["if"][1] = "broken"  # type: ignore[index]
    assert compiled({"tenant": "acme"}) == "on"
    assert compiled({"tenant": "globex"}) == "off"
    assert original != rule


def test_flagd_properties_are_injected() -> None:
    """``$flagd.flagKey`` is the flag's key; ``$flagd.timestamp`` is the current unix time."""
    assert compile_rule({"var": "$flagd.flagKey"}, flag_key="k")({}) == "k"
    assert compile_rule({">": [{"var": "$flagd.timestamp"}, 1_600_000_000]})({}) is True


def test_refs_are_inlined_and_unknown_ones_fail_to_compile() -> None:
    """``$ref`` resolves from ``$evaluators``; a missing one is a compile error (the flag reports PARSE_ERROR)."""
    evaluators = {"is_staff": {"ends_with": [{"var": "email"}, "@pavedroad.dev"]}}
    rule = compile_rule({"if": [{"$ref": "is_staff"}, "on", "off"]}, evaluators=evaluators)
    assert rule({"email": "a@pavedroad.dev"}) == "on"
    with pytest.raises(RuleError):
        compile_rule({"$ref": "nope"}, evaluators=evaluators)
    with pytest.raises(RuleError):
        compile_rule({"$ref": "a"}, evaluators={"a": {"$ref": "a"}})


def test_unknown_operator_is_a_compile_error() -> None:
    with pytest.raises(RuleError, match="unknown operator"):
        compile_rule({"nope": [1]})


def test_fractional_buckets_follow_weights_and_clamp_negative() -> None:
    """Negative weights clamp to 0; all-zero weights yield null; a missing bucketing key yields null."""
    rule = compile_rule({"fractional": [{"var": "k"}, ["a", -5], ["b", 10]]})
    assert {rule({"k": f"user-{i}"}) for i in range(200)} == {"b"}
    assert compile_rule({"fractional": [{"var": "k"}, ["a", 0]]})({"k": "x"}) is None
    assert compile_rule({"fractional": [{"var": "k"}, ["a", 1]]})({}) is None


def test_strict_mode_reports_schema_deviations() -> None:
    """The validator names what the flagd schema would reject."""
    assert validate_targeting({"fractional": [["a", 25.5], ["b", 1]]})
    assert validate_targeting({"sem_ver": [{"var": "v"}, "*", "1.0.0"]})
    assert validate_targeting({"starts_with": [{"var": "id"}, 0]})
    assert validate_targeting({"var": "$flagd.nope"})
    assert validate_targeting({"if": [{"sem_ver": [{"var": "v"}, "^", "1.0.0"]}, "a", "b"]}) == []
