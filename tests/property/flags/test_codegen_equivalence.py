"""Generated code means what the closures mean: same answer for every rule and context tried."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pavedroad.flags import compile_rule

RULES: list[Any] = [
    {
        "if": [
            {"and": [{"in": [{"var": "tenant"}, ["acme", "globex"]]}, {"==": [{"var": "plan"}, "pro"]}]},
            {"fractional": [{"var": "targetingKey"}, ["on", 50], ["off", 50]]},
            "off",
        ]
    },
    {"fractional": [["a", 10], ["b", 0], ["c", 30]]},
    {"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "targetingKey"}]}, ["x", 1], ["y", 1], ["z", 1]]},
    {"or": [{"!": [{"var": "plan"}]}, {"!=": [{"var": "n"}, "3"]}, {"===": [{"var": "plan"}, "pro"]}]},
    {"if": [{"<": [{"var": "n"}, 10]}, "small", {">=": [{"var": "n"}, "100"]}, "big", "mid"]},
    {"if": [{"starts_with": [{"var": "plan"}, "pr"]}, "p", {"ends_with": [{"var": "tenant"}, "me"]}, "t", None]},
    {"!!": [{"var": ["missing", "dflt"]}]},
    {"and": [{"var": "plan"}, {"var": "n"}]},
    {"if": [{"var": "n"}, {"var": "plan"}, {"var": "tenant"}]},
    {"!==": [{"var": "tenant"}, "acme"]},
]

values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 200), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["acme", "globex", "pro", "free", "3", "", "0", "100"]), st.lists(st.integers(), max_size=2),
)  # fmt: skip
contexts = st.fixed_dictionaries(
    {}, optional={"tenant": values, "plan": values, "n": values, "targetingKey": st.one_of(st.text(max_size=8), values)}
)


@settings(max_examples=300, deadline=None)
@given(ctx=contexts, index=st.integers(0, len(RULES) - 1))
def test_generated_code_agrees_with_closures(ctx: dict[str, Any], index: int) -> None:
    rule = RULES[index]
    fast = compile_rule(rule, flag_key="f", evaluators={})
    slow = compile_rule(rule, flag_key="f", evaluators={}, fast=False)
    try:
        expected: Any = slow(ctx)
    except Exception as exc:  # noqa: BLE001 - both must fail alike
        expected = type(exc)
    try:
        got: Any = fast(ctx)
    except Exception as exc:  # noqa: BLE001
        got = type(exc)
    assert got == expected
    assert type(got) is type(expected)
