"""Targeting compiled once: a flagd JSON Logic rule becomes Python when a flag set loads.

``compile_rule(rule, flag_key=..., evaluators=...)`` returns ``f(context) -> value``: the rule is first
compiled to closures (one per node, from ``rule_operators``; this validates it and defines its meaning),
then the common operators are inlined into one generated function (``rule_codegen``). The hot path calls
``f`` and never looks at JSON again. ``$ref`` evaluators are inlined, ``$flagd.flagKey`` becomes a
constant, literal arguments are pre-parsed (semantic versions, ``in`` lists, fractional weights).

Two modes. Lenient (the default, used to load and evaluate): runtime semantics follow flagd — a bad
operand makes the operator yield null, negative weights clamp to 0. Strict (``issues`` list passed):
every deviation from the flagd targeting schema is recorded, which is what ``flagset_validation`` and ``stale_flags``
report. Either way an unknown operator or a missing ``$ref`` raises ``RuleError``: such a flag cannot
be evaluated and resolves to the caller's default with ``PARSE_ERROR``.

Operators are dispatched by name from ``OPERATORS`` (the JSON Logic set plus flagd's ``fractional``,
``sem_ver``, ``starts_with``, ``ends_with``); ``EXTENSIONS`` holds pavedroad's own, used by importers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pavedroad.flags.bucketing import DEFAULT_HASH_VERSION, hasher
from pavedroad.flags.rule_operators import OPERATORS
from pavedroad.flags.rule_types import Rule, RuleError
from pavedroad.flags.rule_types import const as _const

__all__ = ["EXTENSIONS", "OPERATORS", "Rule", "RuleError", "compile_expression", "compile_rule"]


class _Compiler:
    def __init__(
        self, flag_key: str, evaluators: Mapping[str, Any] | None, hash_version: str, issues: list[str] | None
    ) -> None:
        self.flag_key = flag_key
        self.evaluators = evaluators
        self.hash = hasher(hash_version)
        self.issues = issues
        self._refs: list[str] = []

    def issue(self, message: str) -> None:
        if self.issues is not None:
            self.issues.append(message)

    def compile(self, node: Any) -> Rule:
        if isinstance(node, list):
            parts = [self.compile(n) for n in node]
            if all(getattr(p, "literal", False) for p in parts):
                return _const([p({}) for p in parts])
            return lambda d: [p(d) for p in parts]
        if not isinstance(node, dict):
            return _const(node)
        if len(node) != 1:
            if not node:
                return _const(None)
            raise RuleError(f"a rule object must have exactly one operator, got {sorted(node)}")
        op, args = next(iter(node.items()))
        if op == "$ref":
            return self.ref(args)
        handler = OPERATORS.get(op) or EXTENSIONS.get(op)
        if handler is None:
            raise RuleError(f"unknown operator {op!r}")
        return handler(self, args if isinstance(args, list) else [args])

    def ref(self, name: Any) -> Rule:
        if self.evaluators is None:  # a rule checked on its own: references cannot be resolved
            if not isinstance(name, str):
                self.issue(f"$ref must name an evaluator, got {name!r}")
            return _const(None)
        if not isinstance(name, str) or name not in self.evaluators:
            raise RuleError(f"$ref to unknown evaluator {name!r}")
        if name in self._refs:
            raise RuleError(f"$ref cycle through {name!r}")
        self._refs.append(name)
        try:
            return self.compile(self.evaluators[name])
        finally:
            self._refs.pop()

    def args(self, args: list[Any]) -> list[Rule]:
        return [self.compile(a) for a in args]


# pavedroad's own operators (used by the Unleash importer); registered by their modules.
EXTENSIONS: dict[str, Callable[[_Compiler, list[Any]], Rule]] = {}


def compile_expression(
    rule: Any,
    *,
    flag_key: str = "",
    evaluators: Mapping[str, Any] | None = None,
    hash_version: str = DEFAULT_HASH_VERSION,
) -> tuple[str, dict[str, Any]]:
    """Validate ``rule`` (``RuleError`` as ``compile_rule``) and return it as a Python expression over ``d``
    with the namespace it needs (see ``rule_codegen``); used to inline rules into a flag's resolver."""
    from pavedroad.flags.rule_codegen import expression

    compiler = _Compiler(flag_key, evaluators, hash_version, None)
    compiler.compile(rule)
    return expression(rule, compiler.compile, flag_key=flag_key, evaluators=evaluators, hash_version=hash_version)


def compile_rule(
    rule: Any,
    *,
    flag_key: str = "",
    evaluators: Mapping[str, Any] | None = None,
    hash_version: str = DEFAULT_HASH_VERSION,  # None evaluators: $ref is not resolved (rule checked alone)
    issues: list[str] | None = None,
    fast: bool = True,
) -> Rule:
    """Compile a JSON Logic rule to ``f(context) -> value``; raise ``RuleError`` if it cannot be compiled.

    Pass a list as ``issues`` to collect every deviation from the flagd targeting schema (strict mode).
    ``fast`` (default) returns generated code (``rule_codegen``) for the rule; ``fast=False`` the closures.

    >>> f = compile_rule({"if": [{"==": [{"var": "tenant"}, "acme"]}, "on", "off"]})
    >>> f({"tenant": "acme"}), f({"tenant": "globex"})
    ('on', 'off')
    """
    compiler = _Compiler(flag_key, evaluators, hash_version, issues)
    closure = compiler.compile(rule)
    if not fast:
        return closure
    from pavedroad.flags.rule_codegen import generate

    try:
        return generate(rule, compiler.compile, flag_key=flag_key, evaluators=evaluators, hash_version=hash_version)[0]
    except (SyntaxError, RecursionError, ValueError):  # pragma: no cover - the closures are always correct
        return closure
