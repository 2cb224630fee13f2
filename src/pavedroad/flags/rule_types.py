"""The pieces every compiled targeting rule shares: the rule type, the compile error, literal rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Rule", "RuleError", "const", "is_literal"]

Rule = Callable[[Mapping[str, Any]], Any]


class RuleError(ValueError):
    """A rule that cannot be compiled at all (unknown operator, missing ``$ref``)."""


def const(value: Any) -> Rule:
    def rule(_: Mapping[str, Any]) -> Any:
        return value

    rule.literal = True  # type: ignore[attr-defined]
    return rule


def is_literal(rule: Rule) -> bool:
    return bool(getattr(rule, "literal", False))
