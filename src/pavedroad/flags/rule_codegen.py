"""Targeting rules as generated Python: one function per rule, operators inlined as expressions.

The closure compiler (``rule_compiler``) defines the meaning of every operator and validates the rule; this
module then emits the common operators (``var``, comparisons, ``in``, ``and``/``or``/``!``, ``if``,
``starts_with``/``ends_with``, ``fractional`` with fixed weights) as one Python expression, compiled
once with ``compile()``, so an evaluation is one call instead of one call per node. Any node it does
not inline is called as the closure the compiler built for it, so the generated code means exactly
what the closures mean (a property test compares the two on random contexts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mmh3

from pavedroad.flags.bucketing import bucket_key
from pavedroad.flags.rule_values import loose_eq, order, strict_eq, to_text, truthy

__all__ = ["build", "expression", "generate"]

_BOOL = "bool"  # the expression yields True, False or None
_ANY = "any"
_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Gen:
    def __init__(self, fallback: Callable[[Any], Callable[[Mapping[str, Any]], Any]], flag_key: str,
                 evaluators: Mapping[str, Any] | None, hash_version: str) -> None:  # fmt: skip
        self.fallback = fallback
        self.flag_key = flag_key
        self.evaluators = evaluators or {}
        self.hash_version = hash_version
        self.ns: dict[str, Any] = {
            "_truthy": truthy,
            "_loose_eq": loose_eq,
            "_strict_eq": strict_eq,
            "_order": order,
            "_to_text": to_text,
            "_bk": bucket_key,
            "_mm": mmh3.hash,
        }
        self.n = 0

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"_{prefix}{self.n}"

    def const(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | float | str):
            return repr(value)
        name = self.name("c")
        self.ns[name] = value
        return name

    def slow(self, node: Any) -> tuple[str, str]:
        name = self.name("f")
        self.ns[name] = self.fallback(node)
        return f"{name}(d)", _ANY

    def expr(self, node: Any, depth: int = 0) -> tuple[str, str]:  # noqa: PLR0911 - one exit per node shape
        if depth > 50:
            return self.slow(node)
        if isinstance(node, list):
            return self.slow(node)
        if not isinstance(node, dict):
            return self.const(node), _ANY
        if len(node) != 1:
            return self.slow(node)
        op, args = next(iter(node.items()))
        if op == "$ref" and isinstance(args, str) and args in self.evaluators:
            return self.expr(self.evaluators[args], depth + 1)
        method = _OPS.get(op)
        if method is None:
            return self.slow(node)
        result = method(self, args if isinstance(args, list) else [args], depth + 1)
        return result if result is not None else self.slow(node)

    def test(self, node: Any, depth: int) -> str:
        code, kind = self.expr(node, depth)
        return code if kind == _BOOL else f"_truthy({code})"


def _var(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
    path = args[0] if args else ""
    if not isinstance(path, str) or not path or "." in path:
        return None
    if len(args) > 1:
        t = g.name("t")
        return f"({t} if ({t} := d.get({path!r})) is not None else {g.const(args[1])})", _ANY
    return f"d.get({path!r})", _ANY


def _is_lit(node: Any) -> bool:
    return not isinstance(node, dict | list)


def _eq(negate: bool, strict: bool) -> Callable[[_Gen, list[Any], int], tuple[str, str] | None]:
    def emit(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
        if len(args) != 2:
            return None
        a, b = args
        if _is_lit(a) and not _is_lit(b):
            a, b = b, a
        if isinstance(b, str) and not _is_lit(a):
            t, (code, _) = g.name("t"), g.expr(a, depth)
            fast = f"({t} {'!=' if negate else '=='} {b!r})"
            if strict and negate:
                return f"(({t} := {code}).__class__ is not str or {fast})", _BOOL
            if strict:
                return f"(({t} := {code}).__class__ is str and {fast})", _BOOL
            slow = f"{'not ' if negate else ''}_loose_eq({t}, {b!r})"
            return f"({fast} if ({t} := {code}).__class__ is str else {slow})", _BOOL
        fn = "_strict_eq" if strict else "_loose_eq"
        return f"({'not ' if negate else ''}{fn}({g.expr(a, depth)[0]}, {g.expr(b, depth)[0]}))", _BOOL

    return emit


def _compare(op: str) -> Callable[[_Gen, list[Any], int], tuple[str, str] | None]:
    def emit(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
        if len(args) != 2:
            return None
        o = g.name("o")
        return (
            f"(({o} := _order({g.expr(args[0], depth)[0]}, {g.expr(args[1], depth)[0]})) is not None and {o} {op} 0)",
            _BOOL,
        )

    return emit


def _in(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
    if len(args) != 2 or (_is_lit(args[0]) and not isinstance(args[0], str)):
        return None
    needle, hay = args
    if isinstance(hay, list) and all(isinstance(x, str) for x in hay):
        t = g.name("t")
        return f"(({t} := {g.expr(needle, depth)[0]}).__class__ is str and {t} in {g.const(frozenset(hay))})", _BOOL
    return None


def _logic(word: str) -> Callable[[_Gen, list[Any], int], tuple[str, str] | None]:
    def emit(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
        parts = [g.expr(a, depth) for a in args]
        if not parts or any(kind != _BOOL for _, kind in parts):
            return None
        return "(" + f" {word} ".join(code for code, _ in parts) + ")", _BOOL

    return emit


def _not(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
    return f"(not {g.test(args[0] if args else None, depth)})", _BOOL


def _notnot(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
    code, kind = g.expr(args[0] if args else None, depth)
    return (f"bool({code})" if kind == _BOOL else f"_truthy({code})"), _BOOL


def _if(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
    if not args:
        return "None", _ANY
    if len(args) == 1:
        return None
    cond, yes = g.test(args[0], depth), g.expr(args[1], depth)
    rest = (
        g.expr({"if": args[2:]}, depth)
        if len(args) > 3
        else (g.expr(args[2], depth) if len(args) == 3 else ("None", _ANY))
    )
    kind = _BOOL if yes[1] == rest[1] == _BOOL else _ANY
    return f"({yes[0]} if {cond} else {rest[0]})", kind


def _string(method: str) -> Callable[[_Gen, list[Any], int], tuple[str, str] | None]:
    def emit(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
        if len(args) != 2 or not all(isinstance(a, str | dict) for a in args):
            return None
        t, s = g.name("t"), g.name("s")
        a, b = g.expr(args[0], depth)[0], g.expr(args[1], depth)[0]
        return (
            f"({t}.{method}({s}) if (({t} := {a}).__class__ is str and ({s} := {b}).__class__ is str) else None)",
            _BOOL,
        )

    return emit


def _fractional(g: _Gen, args: list[Any], depth: int) -> tuple[str, str] | None:
    if g.hash_version != "v2":
        return None
    keyed = bool(args) and not isinstance(args[0], list)
    buckets = args[1:] if keyed else args
    names, weights = [], []
    for b in buckets:
        if not isinstance(b, list) or not 1 <= len(b) <= 2 or not _is_lit(b[0]):
            return None
        w = b[1] if len(b) == 2 else 1
        if isinstance(w, bool) or not isinstance(w, int | float):
            return None
        names.append(b[0])
        weights.append(max(0, int(w)))
    total = sum(weights)
    if total <= 0:
        return "None", _ANY
    k, h = g.name("k"), g.name("h")
    if keyed:
        key = f"(None if ({k} := {g.expr(args[0], depth)[0]}) is None else ({k} if {k}.__class__ is str else _bk({k})))"
    else:
        tk = g.name("t")
        fk = g.const(g.flag_key)
        text = f"({tk} if {tk}.__class__ is str else _to_text({tk}))"
        key = f"(None if ({tk} := d.get('targetingKey')) is None else {fk} + {text})"
    # (h * total) >> 32 < acc  <=>  h < ceil(acc * 2**32 / total): compare the raw hash with fixed bounds.
    chain, acc = g.const(names[-1]), 0
    pieces = []
    for name, w in zip(names[:-1], weights[:-1], strict=True):
        acc += w
        bound = -((-acc << 32) // total)
        pieces.append(f"{g.const(name)} if {h} < {bound} else ")
    pick = "".join(pieces) + chain
    return (
        f"(None if ({k} := {key}) is None else (({pick}) if (({h} := _mm({k}) & 0xFFFFFFFF) or True) else None))",
        _ANY,
    )


_OPS: dict[str, Callable[[_Gen, list[Any], int], tuple[str, str] | None]] = {
    "var": _var,
    "==": _eq(negate=False, strict=False),
    "!=": _eq(negate=True, strict=False),
    "===": _eq(negate=False, strict=True),
    "!==": _eq(negate=True, strict=True),
    "<": _compare("<"),
    "<=": _compare("<="),
    ">": _compare(">"),
    ">=": _compare(">="),
    "in": _in,
    "and": _logic("and"),
    "or": _logic("or"),
    "!": _not,
    "!!": _notnot,
    "if": _if,
    "?:": _if,
    "starts_with": _string("startswith"),
    "ends_with": _string("endswith"),
    "fractional": _fractional,
}


def expression(
    rule: Any,
    fallback: Callable[[Any], Callable[[Mapping[str, Any]], Any]],
    *,
    flag_key: str = "",
    evaluators: Mapping[str, Any] | None = None,
    hash_version: str = "v2",
) -> tuple[str, dict[str, Any]]:
    """``(python expression over d, namespace)`` for an already-validated rule."""
    g = _Gen(fallback, flag_key, evaluators, hash_version)
    code, _ = g.expr(rule)
    return code, g.ns


def build(source: str, ns: dict[str, Any], name: str, label: str) -> Any:
    """Compile generated ``source`` in ``ns`` and return the function ``name`` it defines."""
    exec(compile(source, f"<{label}>", "exec"), ns)  # noqa: S102 - our own generated code, no user text
    return ns[name]


def generate(
    rule: Any,
    fallback: Callable[[Any], Callable[[Mapping[str, Any]], Any]],
    *,
    flag_key: str = "",
    evaluators: Mapping[str, Any] | None = None,
    hash_version: str = "v2",
) -> tuple[Callable[[Mapping[str, Any]], Any], str]:
    """``(function, source)`` for an already-validated rule; ``fallback(node)`` compiles what is not inlined."""
    code, ns = expression(rule, fallback, flag_key=flag_key, evaluators=evaluators, hash_version=hash_version)
    source = f"def _rule(d):\n    return {code}\n"
    return build(source, ns, "_rule", f"flag {flag_key or 'rule'}"), source
