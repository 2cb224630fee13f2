"""The targeting operators, one builder each: JSON Logic's set plus flagd's custom operators.

A builder takes the compiler and the operator's arguments and returns a closure; ``OPERATORS`` maps
operator names to builders (dispatch by name). Runtime semantics follow flagd: a bad operand makes
the operator yield null; in strict mode the compiler records what the flagd schema would reject.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pavedroad.flags.bucketing import bucket_index, bucket_key
from pavedroad.flags.rule_types import Rule
from pavedroad.flags.rule_types import const as _const
from pavedroad.flags.rule_types import is_literal as _is_literal
from pavedroad.flags.rule_values import loose_eq, num, order, strict_eq, to_text, truthy
from pavedroad.flags.semver import SEMVER_OPERATORS, parse_version

if TYPE_CHECKING:
    from pavedroad.flags.rule_compiler import _Compiler

__all__ = ["OPERATORS"]

_SEMVER_LITERAL = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_FLAGD_PROPS = ("$flagd.flagKey", "$flagd.timestamp")


# --- data access ------------------------------------------------------------------------------------


def _path_getter(path: str, default: Any) -> Rule:
    if path == "":
        return lambda d: d
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]

        def get1(d: Mapping[str, Any]) -> Any:
            value = d.get(key, default)
            return default if value is None else value

        return get1

    def getn(d: Any) -> Any:
        for part in parts:
            if isinstance(d, Mapping):
                d = d.get(part)
            elif isinstance(d, list) and part.isdigit() and int(part) < len(d):
                d = d[int(part)]
            else:
                return default
            if d is None:
                return default
        return d

    return getn


def _var(c: _Compiler, args: list[Any]) -> Rule:
    path = args[0] if args else ""
    default = args[1] if len(args) > 1 else None
    if isinstance(path, int | float) and not isinstance(path, bool):
        path = str(int(path))
    if isinstance(path, str):
        if path == "$flagd.flagKey":
            return _const(c.flag_key)
        if path == "$flagd.timestamp":
            return lambda d: int(time.time())
        if path.startswith("$flagd."):
            c.issue(f"unknown flagd property {path!r}; only {', '.join(_FLAGD_PROPS)} exist")
        return _path_getter(path, default)
    dynamic = c.compile(path)
    return lambda d: _path_getter(to_text(dynamic(d)), default)(d)


def _missing(c: _Compiler, args: list[Any]) -> Rule:
    keys = c.args(args)

    def rule(d: Mapping[str, Any]) -> Any:
        names: list[Any] = []
        for k in keys:
            v = k(d)
            names.extend(v if isinstance(v, list) else [v])
        return [n for n in names if _path_getter(to_text(n), None)(d) in (None, "")]

    return rule


def _missing_some(c: _Compiler, args: list[Any]) -> Rule:
    need, names = c.compile(args[0] if args else 0), c.compile(args[1] if len(args) > 1 else [])

    def rule(d: Mapping[str, Any]) -> Any:
        wanted = names(d) or []
        missing = [n for n in wanted if _path_getter(to_text(n), None)(d) in (None, "")]
        return [] if len(wanted) - len(missing) >= (num(need(d)) or 0) else missing

    return rule


# --- logic and comparison ---------------------------------------------------------------------------


def _if(c: _Compiler, args: list[Any]) -> Rule:
    parts = c.args(args)
    if len(parts) == 3:
        cond, yes, no = parts
        return lambda d: yes(d) if truthy(cond(d)) else no(d)

    def rule(d: Mapping[str, Any]) -> Any:
        i = 0
        while i + 1 < len(parts):
            if truthy(parts[i](d)):
                return parts[i + 1](d)
            i += 2
        return parts[i](d) if i < len(parts) else None

    return rule


def _and(c: _Compiler, args: list[Any]) -> Rule:
    parts = c.args(args)

    def rule(d: Mapping[str, Any]) -> Any:
        value: Any = None
        for p in parts:
            value = p(d)
            if not truthy(value):
                return value
        return value

    return rule


def _or(c: _Compiler, args: list[Any]) -> Rule:
    parts = c.args(args)

    def rule(d: Mapping[str, Any]) -> Any:
        value: Any = None
        for p in parts:
            value = p(d)
            if truthy(value):
                return value
        return value

    return rule


def _not(c: _Compiler, args: list[Any]) -> Rule:
    inner = c.compile(args[0] if args else None)
    return lambda d: not truthy(inner(d))


def _notnot(c: _Compiler, args: list[Any]) -> Rule:
    inner = c.compile(args[0] if args else None)
    return lambda d: truthy(inner(d))


def _equality(fn: Callable[[Any, Any], bool], negate: bool) -> Callable[[_Compiler, list[Any]], Rule]:
    def build(c: _Compiler, args: list[Any]) -> Rule:
        a, b = ([*c.args(args), _const(None), _const(None)])[:2]
        if _is_literal(a) and not _is_literal(b):
            a, b = b, a
        if _is_literal(b) and isinstance(b({}), str) and fn is loose_eq:
            lit = b({})
            if negate:
                return lambda d: (v != lit) if type(v := a(d)) is str else not loose_eq(v, lit)
            return lambda d: (v == lit) if type(v := a(d)) is str else loose_eq(v, lit)
        if negate:
            return lambda d: not fn(a(d), b(d))
        return lambda d: fn(a(d), b(d))

    return build


def _compare(test: Callable[[int], bool]) -> Callable[[_Compiler, list[Any]], Rule]:
    def build(c: _Compiler, args: list[Any]) -> Rule:
        parts = c.args(args)

        def rule(d: Mapping[str, Any]) -> bool:
            values = [p(d) for p in parts]
            for x, y in itertools.pairwise(values):
                o = order(x, y)
                if o is None or not test(o):
                    return False
            return len(values) >= 2

        return rule

    return build


# --- arithmetic and strings -------------------------------------------------------------------------


def _arith(fold: Callable[[float, float], float], unary: Callable[[float], float] | None = None):  # type: ignore[no-untyped-def]
    def build(c: _Compiler, args: list[Any]) -> Rule:
        parts = c.args(args)

        def rule(d: Mapping[str, Any]) -> Any:
            values = [num(p(d)) for p in parts]
            if not values or any(v is None for v in values):
                return None
            if len(values) == 1 and unary is not None:
                return _tidy(unary(values[0]))  # type: ignore[arg-type]
            acc = values[0]
            for v in values[1:]:
                try:
                    acc = fold(acc, v)  # type: ignore[arg-type]
                except ZeroDivisionError:
                    return None
            return _tidy(acc)  # type: ignore[arg-type]

        return rule

    return build


def _tidy(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _minmax(pick: Callable[[list[float]], float]) -> Callable[[_Compiler, list[Any]], Rule]:
    def build(c: _Compiler, args: list[Any]) -> Rule:
        parts = c.args(args)

        def rule(d: Mapping[str, Any]) -> Any:
            values = [num(p(d)) for p in parts]
            if not values or any(v is None for v in values):
                return None
            return _tidy(pick(values))  # type: ignore[arg-type]

        return rule

    return build


def _in(c: _Compiler, args: list[Any]) -> Rule:
    needle, hay = ([*c.args(args), _const(None), _const(None)])[:2]
    if _is_literal(hay) and isinstance(hay({}), list) and all(isinstance(x, str) for x in hay({})):
        members = frozenset(hay({}))
        return lambda d: isinstance(v := needle(d), str) and v in members
    if _is_literal(hay) and isinstance(hay({}), str):
        text = hay({})
        return lambda d: isinstance(v := needle(d), str) and v in text

    def rule(d: Mapping[str, Any]) -> bool:
        n, h = needle(d), hay(d)
        if isinstance(h, str):
            return isinstance(n, str) and n in h
        if isinstance(h, list):
            return any(strict_eq(n, x) for x in h)
        return False

    return rule


def _cat(c: _Compiler, args: list[Any]) -> Rule:
    parts = c.args(args)
    return lambda d: "".join(to_text(p(d)) for p in parts)


def _substr(c: _Compiler, args: list[Any]) -> Rule:
    parts = c.args(args)
    text, start, length = [*parts, *[_const(""), _const(0), _const(None)][len(parts) :]][:3]

    def rule(d: Mapping[str, Any]) -> Any:
        s, b, n = to_text(text(d)), int(num(start(d)) or 0), length(d)
        if n is None:
            return s[b:]
        n = int(num(n) or 0)
        end = len(s) + n if n < 0 else (b if b >= 0 else len(s) + b) + n
        return s[b:end]

    return rule


def _merge(c: _Compiler, args: list[Any]) -> Rule:
    parts = c.args(args)

    def rule(d: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        for p in parts:
            v = p(d)
            out.extend(v if isinstance(v, list) else [v])
        return out

    return rule


def _array_op(kind: str) -> Callable[[_Compiler, list[Any]], Rule]:
    def build(c: _Compiler, args: list[Any]) -> Rule:
        source, body = ([*c.args(args[:1]), _const([])])[0], c.compile(args[1] if len(args) > 1 else None)
        initial = c.compile(args[2] if len(args) > 2 else None)

        def rule(d: Mapping[str, Any]) -> Any:
            items = source(d)
            items = items if isinstance(items, list) else []
            if kind == "map":
                return [body(x) for x in items]
            if kind == "filter":
                return [x for x in items if truthy(body(x))]
            if kind == "all":
                return bool(items) and all(truthy(body(x)) for x in items)
            if kind == "some":
                return any(truthy(body(x)) for x in items)
            if kind == "none":
                return not any(truthy(body(x)) for x in items)
            acc = initial(d)
            for x in items:
                acc = body({"current": x, "accumulator": acc})
            return acc

        return rule

    return build


def _string_compare(test: Callable[[str, str], bool], name: str) -> Callable[[_Compiler, list[Any]], Rule]:
    def build(c: _Compiler, args: list[Any]) -> Rule:
        if len(args) != 2:
            c.issue(f"{name} takes exactly 2 arguments, got {len(args)}")
            return _const(None)
        for a in args:
            if not isinstance(a, str | dict):
                c.issue(f"{name} arguments must be strings or rules, got {a!r}")
        a, b = c.args(args)

        def rule(d: Mapping[str, Any]) -> Any:
            x, y = a(d), b(d)
            return test(x, y) if isinstance(x, str) and isinstance(y, str) else None

        return rule

    return build


# --- flagd custom operators -------------------------------------------------------------------------


def _sem_ver(c: _Compiler, args: list[Any]) -> Rule:
    if len(args) != 3:
        c.issue(f"sem_ver takes 3 arguments (value, operator, version), got {len(args)}")
        return _const(None)
    value, op, target = args
    if isinstance(op, str) and op not in SEMVER_OPERATORS:
        c.issue(f"sem_ver operator {op!r} is not one of {' '.join(SEMVER_OPERATORS)}")
    if isinstance(target, str) and not _SEMVER_LITERAL.match(target):
        c.issue(f"sem_ver version {target!r} is not a semantic version")
    get, get_op, get_target = c.compile(value), c.compile(op), c.compile(target)
    fixed_op = SEMVER_OPERATORS.get(op) if isinstance(op, str) else None
    fixed_target = parse_version(target) if _is_literal(get_target) else None

    def rule(d: Mapping[str, Any]) -> Any:
        test = fixed_op or SEMVER_OPERATORS.get(get_op(d))
        want = fixed_target or parse_version(get_target(d))
        have = parse_version(get(d))
        if test is None or want is None or have is None:
            return None
        return test(have, want)

    return rule


def _fractional(c: _Compiler, args: list[Any]) -> Rule:
    if args and not isinstance(args[0], list):
        if not isinstance(args[0], dict):
            c.issue(f"fractional's bucketing key must be a rule, got {args[0]!r}")
        key_rule = c.compile(args[0])
        buckets = args[1:]
    else:
        flag_key = c.flag_key

        def key_rule(d: Mapping[str, Any]) -> Any:
            tk = d.get("targetingKey")
            return None if tk is None else flag_key + to_text(tk)

        buckets = args
    names: list[Rule] = []
    weights: list[Rule] = []
    for b in buckets:
        if not isinstance(b, list) or not 1 <= len(b) <= 2:
            c.issue(f"a fractional bucket is [variant, weight], got {b!r}")
            continue
        names.append(c.compile(b[0]))
        w = b[1] if len(b) == 2 else 1
        if not isinstance(w, dict) and (isinstance(w, bool) or not isinstance(w, int) or w < 0):
            c.issue(f"fractional weights must be non-negative integers or rules, got {w!r}")
        weights.append(c.compile(w))
    hash_fn = c.hash
    static = all(_is_literal(w) for w in weights)
    fixed = [_weight(w({})) for w in weights] if static else []

    def rule(d: Mapping[str, Any]) -> Any:
        key = bucket_key(key_rule(d))
        if key is None:
            return None
        ws = fixed or [_weight(w(d)) for w in weights]
        i = bucket_index(hash_fn(key), ws)
        return None if i < 0 else names[i](d)

    return rule


def _weight(value: Any) -> int:
    n = num(value) if not isinstance(value, str) else None
    return max(0, int(n)) if n is not None else 0


OPERATORS: dict[str, Callable[[_Compiler, list[Any]], Rule]] = {
    "var": _var,
    "missing": _missing,
    "missing_some": _missing_some,
    "if": _if,
    "?:": _if,
    "and": _and,
    "or": _or,
    "!": _not,
    "!!": _notnot,
    "==": _equality(loose_eq, negate=False),
    "!=": _equality(loose_eq, negate=True),
    "===": _equality(strict_eq, negate=False),
    "!==": _equality(strict_eq, negate=True),
    "<": _compare(lambda o: o < 0),
    "<=": _compare(lambda o: o <= 0),
    ">": _compare(lambda o: o > 0),
    ">=": _compare(lambda o: o >= 0),
    "+": _arith(lambda a, b: a + b, lambda a: a),
    "-": _arith(lambda a, b: a - b, lambda a: -a),
    "*": _arith(lambda a, b: a * b),
    "/": _arith(lambda a, b: a / b),
    "%": _arith(lambda a, b: a % b),
    "min": _minmax(min),
    "max": _minmax(max),
    "in": _in,
    "cat": _cat,
    "substr": _substr,
    "merge": _merge,
    "map": _array_op("map"),
    "filter": _array_op("filter"),
    "reduce": _array_op("reduce"),
    "all": _array_op("all"),
    "some": _array_op("some"),
    "none": _array_op("none"),
    "starts_with": _string_compare(str.startswith, "starts_with"),
    "ends_with": _string_compare(str.endswith, "ends_with"),
    "sem_ver": _sem_ver,
    "fractional": _fractional,
}
