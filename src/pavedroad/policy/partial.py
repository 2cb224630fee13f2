"""Data filtering: the policies partially evaluated for a known principal and an unknown resource of one
entity type, as a condition in the query language's JSON form.

``residual(policies, principal, action, entity, fields)`` is ``True`` (every row), ``False`` (no row) or
a condition over the entity's fields: Cedar's rule (some permit holds and no forbid holds) with
everything about the principal and the context already decided. ``check_filterable`` runs at load: a
policy whose resource-dependent part is not one of the forms below is refused then (``PolicyError``),
so a filter never meets something it cannot express and nothing fails open.

Resource forms that compile to SQL: ``resource.f`` (a field; ``resource.rel.f`` through a many-to-one
relation) compared (``== != < <= > >=``) with a value or another field; ``[values].contains(resource.f)``;
``resource has f`` (a non-null test); ``resource is T``; ``resource == T::"id"``; and ``&& || !`` and
``if`` over those. A nullable field is a missing attribute when null: a policy that reads one holds only
where it is not null (Cedar skips a policy whose attribute is missing).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pavedroad.policy.codegen import _Gen, action_matches, targets
from pavedroad.policy.entities import Entities, Entity, Record
from pavedroad.policy.errors import PolicyError
from pavedroad.policy.parse import Policy
from pavedroad.policy.runtime import HELPERS, CedarError, like_regex

__all__ = ["NOTHING", "Field", "Residual", "check_filterable", "residual"]

Residual = bool | dict[str, Any]
NOTHING: dict[str, Any] = {"op": "=", "args": [{"value": 1}, {"value": 0}]}
_H = HELPERS
_SQL_CMP = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class Field:
    """A resource attribute backed by a column: its Cedar type (``Long``, ``String``, ``Bool``, or an
    entity type for a many-to-one relation) and whether it may be null."""

    type: str
    nullable: bool = False


@dataclass(frozen=True)
class _Sym:
    """A value known only in SQL: a JSON-form expression, its Cedar type, the nullable fields it reads."""

    expr: dict[str, Any]
    type: str
    reads: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Res:
    """The resource, or an entity reached from it through relations (``path``: "job.")."""

    entity: str
    path: str


class _Eval:
    def __init__(  # noqa: PLR0917 - one evaluation's whole environment
        self, pid: str, principal: Entity, action: Entity, entity: str,
        schema: Mapping[str, Mapping[str, Field]], context: Any, entities: Entities,
    ) -> None:  # fmt: skip
        self.pid, self.p, self.a, self.entity = pid, principal, action, entity
        self.schema, self.c, self.s = schema, context, entities

    def refuse(self, what: str) -> PolicyError:
        return PolicyError(f"policy {self.pid!r}: {what} on {self.entity} cannot be compiled to SQL",
                           hint="see docs/policy.md for the conditions a data filter supports")  # fmt: skip

    def bool_(self, v: Any) -> Any:
        if isinstance(v, _Sym):
            if v.type != "Bool":
                raise self.refuse("a non-Boolean condition")
            return v
        return _H["_bool"](v)

    def ev(self, node: dict[str, Any]) -> Any:  # noqa: PLR0911, PLR0912
        ((op, arg),) = node.items()
        if op == "Value":
            return _Gen(self.pid).literal(arg)
        if op == "Var":
            if arg == "resource":
                return _Res(self.entity, "")
            return {"principal": self.p.uid, "action": self.a.uid}.get(arg, self.c)
        if op in ("&&", "||"):
            left = self.bool_(self.ev(arg["left"]))
            if left is (op == "||"):
                return left
            right = self.bool_(self.ev(arg["right"]))
            if not isinstance(left, _Sym):
                return right
            if right is (op == "||"):
                return right
            if right is (op == "&&"):
                return left
            return _Sym(
                {"op": "and" if op == "&&" else "or", "args": [left.expr, right.expr]},
                "Bool",
                left.reads | _reads(right),
            )
        if op == "!":
            v = self.bool_(self.ev(arg["arg"]))
            return _Sym({"op": "not", "args": [v.expr]}, "Bool", v.reads) if isinstance(v, _Sym) else not v
        if op == "if-then-else":
            c = self.bool_(self.ev(arg["if"]))
            if not isinstance(c, _Sym):
                return self.ev(arg["then"] if c else arg["else"])
            t, e = self.bool_(self.ev(arg["then"])), self.bool_(self.ev(arg["else"]))
            parts = [_expr(x) for x in (c, t, e)]
            reads = c.reads | _reads(t) | _reads(e)
            return _Sym({"case": [[parts[0], parts[1]]], "else": parts[2]}, "Bool", reads)
        if op in (".", "has"):
            return self.attr(op, self.ev(arg["left"]), arg["attr"])
        if op == "is":
            left = self.ev(arg["left"])
            if isinstance(left, _Res):
                if "in" in arg:
                    raise self.refuse("resource hierarchy (in)")
                return left.entity == arg["entity_type"]
            out = _H["_is"](left, arg["entity_type"])
            return out and _H["_in"](self.s, left, self.ev(arg["in"])) if "in" in arg else out
        if op == "Set":
            items = [self.ev(x) for x in arg]
            if any(isinstance(x, _Sym | _Res) for x in items):
                raise self.refuse("a set built from resource attributes")
            return frozenset(items)
        if op == "Record":
            vals = {k: self.ev(x) for k, x in arg.items()}
            if any(isinstance(x, _Sym | _Res) for x in vals.values()):
                raise self.refuse("a record built from resource attributes")
            return Record(vals)
        if op == "like":
            v = self.ev(arg["left"])
            if isinstance(v, _Sym | _Res):
                raise self.refuse("like on a resource attribute")
            return _H["_like"](v, like_regex(arg["pattern"]))
        if op in ("neg", "isEmpty"):
            v = self.ev(arg["arg"])
            if isinstance(v, _Sym | _Res):
                raise self.refuse(f"{op} on a resource attribute")
            return _H["_neg" if op == "neg" else "_is_empty"](v)
        if op in ("Slot", "Unknown"):
            raise self.refuse(op.lower())
        return self.binary(op, self.ev(arg["left"]), self.ev(arg["right"]))

    def attr(self, op: str, left: Any, name: str) -> Any:  # noqa: PLR0911
        if not isinstance(left, _Res):
            if isinstance(left, _Sym):
                raise self.refuse("an attribute of a computed value")
            if left == self.p.uid:  # the principal is not in the store: its attributes are its own
                if op == "has":
                    return name in self.p.attrs
                if name not in self.p.attrs:
                    raise CedarError(f"no attribute {name}")
                return self.p.attrs[name]
            return _H["_has" if op == "has" else "_get"](self.s, left, name)
        f = self.schema.get(left.entity, {}).get(name)
        if f is None:
            if op == "has":
                return False
            raise CedarError(f"no attribute {name}")
        dotted = left.path + name
        if f.type in self.schema:  # a many-to-one relation: an entity reached from the resource
            if op == "has":
                return True if not f.nullable else _Sym({"is_null": {"field": dotted}, "negated": True}, "Bool")
            return _Res(f.type, dotted + ".")
        if op == "has":
            return True if not f.nullable else _Sym({"is_null": {"field": dotted}, "negated": True}, "Bool")
        return _Sym({"field": dotted}, f.type, frozenset({dotted}) if f.nullable else frozenset())

    def binary(self, op: str, left: Any, right: Any) -> Any:  # noqa: PLR0911
        if not isinstance(left, _Sym | _Res) and not isinstance(right, _Sym | _Res):
            if op == "in" and left == self.p.uid:
                return _H["_in_anc"](self.p.ancestors, right)
            return _concrete(op, left, right, self.s)
        if isinstance(left, _Res) or isinstance(right, _Res):
            if op in ("==", "!=") and not (isinstance(left, _Res) and isinstance(right, _Res)):
                res, other = (left, right) if isinstance(left, _Res) else (right, left)
                if res.path:
                    raise self.refuse("comparing a related entity")
                same = type(other) is tuple and other[0] == res.entity
                if not same:
                    return op == "!="
                key = _Sym({"op": _SQL_CMP[op], "args": [{"field": "id"}, {"value": _key(other[1])}]}, "Bool")
                return key
            raise self.refuse(f"the resource with {op}")
        if op in _SQL_CMP:
            return self.compare(op, left, right)
        if op == "contains" and isinstance(right, _Sym) and not isinstance(left, _Sym):
            items = [v for v in _H["_set"](left) if _cedar_type(v) == right.type]
            if not items:
                return False
            return _Sym({"in": right.expr, "items": [{"value": v} for v in sorted(items, key=repr)],
                         "negated": False}, "Bool", right.reads)  # fmt: skip
        raise self.refuse(f"{op} with a resource attribute")

    def compare(self, op: str, left: Any, right: Any) -> Any:
        lt = left.type if isinstance(left, _Sym) else _cedar_type(left)
        rt = right.type if isinstance(right, _Sym) else _cedar_type(right)
        if op in ("==", "!=") and lt != rt:
            return op == "!="  # values of different types are never equal
        if op not in ("==", "!=") and (lt != "Long" or rt != "Long"):
            raise CedarError("comparison of non-Longs") if "Long" in (lt, rt) or lt == rt else self.refuse(op)
        reads = _reads(left) | _reads(right)
        return _Sym({"op": _SQL_CMP[op], "args": [_expr(left), _expr(right)]}, "Bool", reads)


def _key(ident: str) -> Any:
    return int(ident) if ident.lstrip("-").isdigit() else ident


def _cedar_type(v: Any) -> str:
    return {bool: "Bool", int: "Long", str: "String"}.get(type(v), "Other")


def _reads(v: Any) -> frozenset[str]:
    return v.reads if isinstance(v, _Sym) else frozenset()


def _expr(v: Any) -> dict[str, Any]:
    if isinstance(v, _Sym):
        return v.expr
    if isinstance(v, bool | int | str):
        return {"value": v}
    raise CedarError("not a SQL value")


def _concrete(op: str, a: Any, b: Any, s: Entities) -> Any:
    table: dict[str, Callable[[], Any]] = {
        "==": lambda: _H["_eq"](a, b), "!=": lambda: not _H["_eq"](a, b), "<": lambda: _H["_lt"](a, b),
        "<=": lambda: _H["_le"](a, b), ">": lambda: _H["_lt"](b, a), ">=": lambda: _H["_le"](b, a),
        "+": lambda: _H["_add"](a, b), "-": lambda: _H["_sub"](a, b), "*": lambda: _H["_mul"](a, b),
        "in": lambda: _H["_in"](s, a, b), "contains": lambda: _H["_contains"](a, b),
        "containsAll": lambda: _H["_contains_all"](a, b), "containsAny": lambda: _H["_contains_any"](a, b),
    }  # fmt: skip
    if op not in table:
        raise CedarError(f"unsupported operator {op}")
    return table[op]()


def _policy_residual(ev: _Eval, p: Policy) -> Any:
    """One policy's condition (scopes and when/unless) for the symbolic resource; ``False`` on an error."""
    try:
        if not _scope_holds(p.principal, ev.p, ev.s):
            return False
        out: Any = _resource_scope(p.resource, ev)
        if out is False:
            return False
        for c in p.conditions:
            v = ev.bool_(ev.ev(c["body"]))
            if c["kind"] == "unless":
                v = _Sym({"op": "not", "args": [v.expr]}, "Bool", v.reads) if isinstance(v, _Sym) else not v
            out = _and(out, v)
            if out is False:
                return False
    except CedarError:  # Cedar skips an erroring policy; anything else is a bug and raises (never fails open)
        return False
    if isinstance(out, _Sym) and out.reads:
        present = _conjuncts(out.expr)  # ``resource has f && ...`` already guards f
        guards = [g for f in sorted(out.reads) if (g := {"is_null": {"field": f}, "negated": True}) not in present]
        return _fold("and", [*guards, out.expr])
    return out.expr if isinstance(out, _Sym) else out


def _conjuncts(expr: dict[str, Any]) -> list[dict[str, Any]]:
    if expr.get("op") == "and":
        return [c for arg in expr["args"] for c in _conjuncts(arg)]
    return [expr]


def _and(a: Any, b: Any) -> Any:
    if a is True:
        return b
    if b is True:
        return a
    if a is False or b is False:
        return False
    return _Sym({"op": "and", "args": [a.expr, b.expr]}, "Bool", a.reads | b.reads)


def _scope_holds(scope: dict[str, Any], e: Entity, s: Entities) -> bool:
    del s
    g = _Gen("scope")
    code = g.scope("principal", scope)
    return bool(eval(code, g.ns, {"P": e}))  # noqa: S307 - generated from a parsed scope


def _resource_scope(scope: dict[str, Any], ev: _Eval) -> Any:
    op = scope["op"]
    if op == "All":
        return True
    if op == "is" and "in" not in scope:
        return scope["entity_type"] == ev.entity
    if op == "==":
        e = scope["entity"]
        if e["type"] != ev.entity:
            return False
        return _Sym({"op": "=", "args": [{"field": "id"}, {"value": _key(e["id"])}]}, "Bool")
    raise ev.refuse(f"the resource scope {op!r} (resource hierarchy)")


def _any(parts: list[Any]) -> Residual:
    if any(p is True for p in parts):
        return True
    exprs = [p for p in parts if p is not False]
    if not exprs:
        return False
    return _fold("or", exprs)


def _fold(op: str, exprs: list[dict[str, Any]]) -> dict[str, Any]:
    """``a op b op c`` as the query language's binary nodes."""
    out = exprs[-1]
    for e in reversed(exprs[:-1]):
        out = {"op": op, "args": [e, out]}
    return out


def residual(  # noqa: PLR0917
    policies: Sequence[Policy], principal: Entity, action: Entity, entity: str,
    schema: Mapping[str, Mapping[str, Field]], context: Mapping[str, Any] | None = None,
    entities: Entities | None = None, *, narrowing: bool = False,
) -> Residual:  # fmt: skip
    """Which rows of ``entity`` ``principal`` may ``action``: ``True``, ``False`` or a JSON-form condition."""
    ev = _Eval("", principal, action, entity, schema, Record(context or {}), entities or Entities())
    chosen = [p for p in policies if action_matches(p.action, action)]
    if narrowing:
        chosen = [p for p in chosen if not p.permit or targets(p.resource, entity)]
    forbids: list[Any] = []
    permits: list[Any] = []
    for p in chosen:
        ev.pid = p.id
        (permits if p.permit else forbids).append(_policy_residual(ev, p))
    allow = True if narrowing and not permits else _any(permits)
    deny = _any(forbids)
    if allow is False or deny is True:
        return False
    if deny is False:
        return allow
    not_deny = {"op": "not", "args": [deny]}
    return not_deny if allow is True else {"op": "and", "args": [allow, not_deny]}


def both(a: Residual, b: Residual) -> Residual:
    """The conjunction of two residuals (the platform's and a tenant's)."""
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    return {"op": "and", "args": [a, b]}


def check_filterable(policies: Sequence[Policy], action: Entity, entity: str,
                     schema: Mapping[str, Mapping[str, Field]]) -> None:  # fmt: skip
    """Refuse at load any policy for ``action`` on ``entity`` whose resource part SQL cannot express: each
    is partially evaluated with a principal and context that hold every attribute it asks of them."""
    for p in policies:
        if not action_matches(p.action, action):
            continue
        ev = _Eval(p.id, _Anything.entity(), action, entity, schema, _Anything(), Entities())
        _walk(ev, p)


class _Anything(Record):
    """A stand-in principal/context for the load check: every attribute exists (as a Long)."""

    def __missing__(self, key: str) -> Any:
        return 0

    def __contains__(self, key: object) -> bool:
        return True

    @staticmethod
    def entity() -> Entity:
        return Entity(("?", "?"), _Anything())


def _walk(ev: _Eval, p: Policy) -> None:
    """Evaluate every resource-dependent subexpression (both sides of ``&&``/``||``), raising on a form
    that cannot be compiled; concrete errors are ignored (they depend on the real principal)."""
    _resource_scope(p.resource, ev)

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                visit(x)
            return
        if not isinstance(node, dict) or len(node) != 1:
            return
        ((op, arg),) = node.items()
        if op in ("Value", "Var"):
            return
        if _mentions_resource(node):
            with contextlib.suppress(CedarError, KeyError, TypeError):
                ev.ev(node)
        if isinstance(arg, dict):
            for child in arg.values():
                visit(child)
        else:
            visit(arg)

    for c in p.conditions:
        visit(c["body"])


def _mentions_resource(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("Var") == "resource" or any(_mentions_resource(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_resource(v) for v in node)
    return False
