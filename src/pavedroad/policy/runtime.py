"""Cedar's operators on Python values, with Cedar's errors: what generated decision code calls.

Each helper raises ``CedarError`` where Cedar's evaluator errors (a type mismatch, a missing attribute, a
64-bit overflow); the policy being evaluated is then skipped, as Cedar skips an erroring policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pavedroad.policy.entities import Entities, Record

__all__ = ["HELPERS", "CedarError", "like_regex"]

_MIN, _MAX = -(2**63), 2**63 - 1


class CedarError(Exception):
    """An evaluation error: the policy that raised it does not apply."""


def _long(x: Any) -> int:
    if type(x) is not int:
        raise CedarError("expected a Long")
    return x


def _bool(x: Any) -> bool:
    if type(x) is not bool:
        raise CedarError("expected a Boolean")
    return x


def _set(x: Any) -> frozenset[Any]:
    if type(x) is not frozenset:
        raise CedarError("expected a Set")
    return x


def _ent(x: Any) -> tuple[str, str]:
    if type(x) is not tuple:
        raise CedarError("expected an entity")
    return x


def _eq(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _lt(a: Any, b: Any) -> bool:
    return _long(a) < _long(b)


def _le(a: Any, b: Any) -> bool:
    return _long(a) <= _long(b)


def _checked(v: int) -> int:
    if v < _MIN or v > _MAX:
        raise CedarError("overflow")
    return v


def _add(a: Any, b: Any) -> int:
    return _checked(_long(a) + _long(b))


def _sub(a: Any, b: Any) -> int:
    return _checked(_long(a) - _long(b))


def _mul(a: Any, b: Any) -> int:
    return _checked(_long(a) * _long(b))


def _neg(a: Any) -> int:
    return _checked(-_long(a))


def _attrs(s: Entities, v: Any) -> Mapping[str, Any]:
    if type(v) is Record:
        return v
    if type(v) is tuple:
        e = s.get(v)
        if e is None:
            raise CedarError("entity does not exist")
        return e.attrs
    raise CedarError("expected an entity or a record")


def _get(s: Entities, v: Any, name: str) -> Any:
    attrs = _attrs(s, v)
    if name not in attrs:
        raise CedarError(f"no attribute {name}")
    return attrs[name]


def _has(s: Entities, v: Any, name: str) -> bool:
    if type(v) is tuple and s.get(v) is None:
        return False
    return name in _attrs(s, v)


def _in(s: Entities, a: Any, b: Any) -> bool:
    anc = s.entity(_ent(a)).ancestors
    if type(b) is frozenset:
        return any(_ent(x) in anc for x in b)
    return _ent(b) in anc


def _in_anc(anc: frozenset[tuple[str, str]], b: Any) -> bool:
    if type(b) is frozenset:
        return any(_ent(x) in anc for x in b)
    return _ent(b) in anc


def _is(a: Any, etype: str) -> bool:
    return _ent(a)[0] == etype


def _contains(a: Any, b: Any) -> bool:
    return any(_eq(x, b) for x in _set(a))


def _contains_all(a: Any, b: Any) -> bool:
    return all(_contains(a, x) for x in _set(b))


def _contains_any(a: Any, b: Any) -> bool:
    return any(_contains(a, x) for x in _set(b))


def _is_empty(a: Any) -> bool:
    return not _set(a)


def _like(a: Any, pattern: re.Pattern[str]) -> bool:
    if type(a) is not str:
        raise CedarError("expected a String")
    return pattern.fullmatch(a) is not None


def like_regex(pattern: list[Any]) -> re.Pattern[str]:
    """Cedar's ``like`` pattern (literal parts and ``Wildcard``) as an anchored regular expression."""
    parts = [".*" if p == "Wildcard" else re.escape(p["Literal"]) for p in pattern]
    return re.compile("".join(parts), re.DOTALL)


HELPERS: dict[str, Any] = {
    "_CedarError": CedarError, "_long": _long, "_bool": _bool, "_eq": _eq, "_lt": _lt, "_le": _le,
    "_add": _add, "_sub": _sub, "_mul": _mul, "_neg": _neg, "_get": _get, "_has": _has, "_in": _in,
    "_in_anc": _in_anc, "_set": _set, "_is": _is, "_contains": _contains, "_contains_all": _contains_all,
    "_contains_any": _contains_any, "_is_empty": _is_empty, "_like": _like, "_Record": Record,
}  # fmt: skip
