"""Validation of whole flag sets: the flagd structure, every targeting rule, our metadata.

``validate_flag_set`` returns a list of problems (empty = valid) and is what ``flags lint``, the store
and the service call before a change is published; the flagd-schemas fixtures pin it in the tests
(every positive fixture passes, every negative one is rejected). Loading for evaluation is lenient
(``parse_flag_set`` + ``compile_snapshot``) so that files flagd itself would serve keep working.
"""

from __future__ import annotations

from typing import Any

from pavedroad.flags.errors import InvalidFlagSet
from pavedroad.flags.metadata import read_meta
from pavedroad.flags.model import Flag, FlagSet, parse_flag_set
from pavedroad.flags.rule_compiler import RuleError, compile_rule

__all__ = ["check_flag", "require_valid", "validate_flag_set", "validate_targeting"]


def validate_targeting(rule: Any, *, evaluators: dict[str, Any] | None = None, flag_key: str = "") -> list[str]:
    """Problems with one targeting rule under the flagd targeting grammar."""
    issues: list[str] = []
    if rule in (None, {}):
        return issues
    if not isinstance(rule, dict):
        return [f"targeting must be a JSON Logic object, got {type(rule).__name__}"]
    try:
        compile_rule(rule, flag_key=flag_key, evaluators=evaluators, issues=issues)
    except (RuleError, RecursionError) as exc:
        issues.append(str(exc))
    return issues


def check_flag(key: str, flag: Flag, evaluators: dict[str, Any] | None = None) -> list[str]:
    """Problems with one parsed flag: targeting, default variant, ``pavedroad.*`` metadata."""
    issues = [f"{key}: {i}" for i in validate_targeting(flag.targeting, evaluators=evaluators, flag_key=key)]
    if flag.defaultVariant is not None and flag.defaultVariant not in flag.variants:
        issues.append(f"{key}: defaultVariant {flag.defaultVariant!r} is not one of {sorted(flag.variants)}")
    issues.extend(f"{key}: {i}" for i in read_meta(flag.metadata, flag.variants)[1])
    return issues


def validate_flag_set(doc: object, *, allow_array: bool = False) -> list[str]:
    """Every problem in a flag-set document (dict or JSON text); empty when it is valid."""
    try:
        flag_set = parse_flag_set(doc, allow_array=allow_array)
    except InvalidFlagSet as exc:
        return [exc.message]
    issues: list[str] = []
    for name, rule in flag_set.evaluators.items():
        issues.extend(f"$evaluators.{name}: {i}" for i in validate_targeting(rule, evaluators=flag_set.evaluators))
    for key, flag in flag_set.flags.items():
        issues.extend(check_flag(key, flag, flag_set.evaluators or {}))
    return issues


def require_valid(doc: object, *, allow_array: bool = False) -> FlagSet:
    """Parse and validate strictly; raise ``InvalidFlagSet`` listing the problems."""
    issues = validate_flag_set(doc, allow_array=allow_array)
    if issues:
        shown = "; ".join(issues[:5]) + (f" (+{len(issues) - 5} more)" if len(issues) > 5 else "")
        raise InvalidFlagSet(f"the flag set is invalid: {shown}", hint="run `pavedroad flags lint`", issues=issues)
    return parse_flag_set(doc, allow_array=allow_array)
