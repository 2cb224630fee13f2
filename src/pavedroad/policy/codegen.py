"""Policies compiled to one generated Python function per action: the decision hot path.

``compile_decider(permits_forbids, action, actions)`` returns ``f(P, R, C, S) -> (allowed, ids)`` for one
action: only the policies whose action scope holds for it are in it; each policy is one Python
expression (scopes and conditions inlined, Cedar's operators from ``runtime``), evaluated in a
``try`` so an erroring policy is skipped as Cedar skips it. The meaning is Cedar's: deny if a forbid
holds (its ids), else allow if a permit holds (their ids), else deny with no id. A node the engine does
not implement (extension types, tags) is refused when the policy loads (``PolicyError``).

``narrowing=True`` compiles a tenant's set for one action and resource type: its forbids deny; if it has
permits that target them (``targets``) one of those must hold; with none, it does not narrow the request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pavedroad.policy.entities import UID, Entities, Entity, Record
from pavedroad.policy.errors import PolicyError
from pavedroad.policy.parse import Policy
from pavedroad.policy.runtime import HELPERS, like_regex

__all__ = ["Decider", "action_matches", "compile_decider", "expression", "targets"]

Decider = Callable[[Entity, Entity, Any, Entities], tuple[bool, tuple[str, ...]]]
_VARS = {"principal": "P", "action": "A", "resource": "R"}
_BOOLISH = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "has", "like", "is", "contains", "containsAll",
                      "containsAny", "isEmpty", "!", "&&", "||"})  # fmt: skip
_CMP = {"<": "_lt({l}, {r})", "<=": "_le({l}, {r})", ">": "_lt({r}, {l})", ">=": "_le({r}, {l})"}
_ARITH = {"+": "_add", "-": "_sub", "*": "_mul"}
_SETOPS = {"contains": "_contains", "containsAll": "_contains_all", "containsAny": "_contains_any"}


def _uid(e: dict[str, Any]) -> UID:
    return (str(e["type"]), str(e["id"]))


def targets(scope: dict[str, Any], resource_type: str) -> bool:
    """Whether a policy's resource scope can hold for resources of ``resource_type`` (``in``: assumed so)."""
    op = scope["op"]
    if op == "==":
        return str(scope["entity"]["type"]) == resource_type
    if op == "is":
        return str(scope["entity_type"]) == resource_type
    return True


def action_matches(scope: dict[str, Any], action: Entity) -> bool:
    """Whether a policy's action scope holds for ``action`` (known when the decider is built)."""
    op = scope["op"]
    if op == "All":
        return True
    if op == "==":
        return _uid(scope["entity"]) == action.uid
    if op == "in" and "entity" in scope:
        return _uid(scope["entity"]) in action.ancestors
    if op == "in":
        return any(_uid(e) in action.ancestors for e in scope["entities"])
    raise PolicyError(f"unsupported action scope {op!r}")


class _Gen:
    def __init__(self, pid: str) -> None:
        self.pid = pid
        self.ns: dict[str, Any] = dict(HELPERS)
        self.n = 0

    def refuse(self, what: str) -> PolicyError:
        return PolicyError(f"policy {self.pid!r}: {what} is not supported by the policy engine",
                           hint="see docs/policy.md for the supported Cedar subset")  # fmt: skip

    def const(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | str):
            return repr(value)
        self.n += 1
        name = f"_k{self.n}"
        self.ns[name] = value
        return name

    def literal(self, v: Any) -> Any:
        if isinstance(v, dict):
            if "__entity" in v:
                return _uid(v["__entity"])
            if "__extn" in v:
                raise self.refuse("an extension value")
            return Record({k: self.literal(x) for k, x in v.items()})
        if isinstance(v, list):
            return frozenset(self.literal(x) for x in v)
        if isinstance(v, bool | int | str):
            return v
        raise self.refuse(f"the value {v!r}")

    def scope(self, var: str, scope: dict[str, Any]) -> str:
        v = _VARS[var]
        op = scope["op"]
        if "slot" in scope or op not in ("All", "==", "in", "is"):
            raise self.refuse(f"the {var} scope {op!r}")
        parts = []
        if op == "==":
            parts.append(f"{v}.uid == {self.const(_uid(scope['entity']))}")
        if op == "in":
            parts.append(f"{self.const(_uid(scope['entity']))} in {v}.ancestors")
        if op == "is":
            parts.append(f"{v}.uid[0] == {scope['entity_type']!r}")
            if "in" in scope:
                if "slot" in scope["in"]:
                    raise self.refuse(f"the {var} scope slot")
                parts.append(f"{self.const(_uid(scope['in']['entity']))} in {v}.ancestors")
        return " and ".join(parts) or "True"

    def cond(self, node: Any) -> str:
        """A condition body: must evaluate to a Boolean."""
        code, boolish = self.expr(node)
        return code if boolish else f"_bool({code})"

    def expr(self, node: Any) -> tuple[str, bool]:  # noqa: PLR0911, PLR0912
        if not isinstance(node, dict) or len(node) != 1:
            raise self.refuse(f"the expression {node!r}")
        ((op, arg),) = node.items()
        if op == "Value":
            value = self.literal(arg)
            return self.const(value), type(value) is bool
        if op == "Var":
            return ("C" if arg == "context" else f"{_VARS[arg]}.uid"), False
        if op in ("Slot", "Unknown"):
            raise self.refuse(op.lower())
        if op in ("!", "neg", "isEmpty"):
            inner, boolish = self.expr(arg["arg"])
            if op == "!":
                return f"(not {inner if boolish else f'_bool({inner})'})", True
            return (f"_neg({inner})", False) if op == "neg" else (f"_is_empty({inner})", True)
        if op in ("&&", "||"):
            word = "and" if op == "&&" else "or"
            return f"({self.cond(arg['left'])} {word} {self.cond(arg['right'])})", True
        if op in (".", "has"):
            return self.attr(op, arg)
        if op == "is":
            left = self.expr(arg["left"])[0]
            code = f"_is({left}, {arg['entity_type']!r})"
            if "in" in arg:
                code = f"({code} and _in(S, {left}, {self.expr(arg['in'])[0]}))"
            return code, True
        if op == "like":
            return f"_like({self.expr(arg['left'])[0]}, {self.const(like_regex(arg['pattern']))})", True
        if op == "if-then-else":
            c, t, e = self.cond(arg["if"]), self.expr(arg["then"]), self.expr(arg["else"])
            return f"({t[0]} if {c} else {e[0]})", t[1] and e[1]
        if op == "Set":
            items = [self.expr(x)[0] for x in arg]
            return f"frozenset(({''.join(i + ', ' for i in items)}))", False
        if op == "Record":
            fields = ", ".join(f"{k!r}: {self.expr(x)[0]}" for k, x in arg.items())
            return f"_Record({{{fields}}})", False
        if op in ("==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", *_SETOPS):
            return self.binary(op, arg["left"], arg["right"])
        raise self.refuse(f"the operator {op!r}")

    def attr(self, op: str, arg: dict[str, Any]) -> tuple[str, bool]:
        left = arg["left"]
        name = arg["attr"]
        if isinstance(name, list):
            raise self.refuse("a multi-level has")
        var = left.get("Var") if isinstance(left, dict) else None
        if var in _VARS:
            attrs = f"{_VARS[var]}.attrs"
            return (f"({name!r} in {attrs})", True) if op == "has" else (f"{attrs}[{name!r}]", False)
        code = self.expr(left)[0]
        return (f"_has(S, {code}, {name!r})", True) if op == "has" else (f"_get(S, {code}, {name!r})", False)

    def binary(self, op: str, left: Any, right: Any) -> tuple[str, bool]:  # noqa: PLR0911
        lv = left.get("Var") if isinstance(left, dict) else None
        if op == "in" and lv in _VARS and isinstance(right, dict) and "Value" in right:
            target = self.literal(right["Value"])
            if type(target) is tuple:
                return f"({self.const(target)} in {_VARS[lv]}.ancestors)", True
        lc, rc = self.expr(left)[0], self.expr(right)[0]
        if op == "in" and lv in _VARS:
            return f"_in_anc({_VARS[lv]}.ancestors, {rc})", True
        if op in ("==", "!="):
            code = f"_eq({lc}, {rc})"
            if isinstance(right, dict) and isinstance(right.get("Value"), str | dict):
                code = f"({lc} == {rc})"  # a string or entity literal equals only its own kind
            return (code if op == "==" else f"(not {code})"), True
        if op in _CMP:
            return _CMP[op].format(l=lc, r=rc), True
        if op in _ARITH:
            return f"{_ARITH[op]}({lc}, {rc})", False
        if op == "in":
            return f"_in(S, {lc}, {rc})", True
        return f"{_SETOPS[op]}({lc}, {rc})", True


def expression(policy: Policy, gen: _Gen | None = None) -> tuple[str, dict[str, Any]]:
    """The policy's principal and resource scopes and conditions as one Python expression, and its names."""
    g = gen or _Gen(policy.id)
    parts = [g.scope("principal", policy.principal), g.scope("resource", policy.resource)]
    for c in policy.conditions:
        body = g.cond(c["body"])
        parts.append(body if c["kind"] == "when" else f"not {body}")
    return " and ".join(f"({p})" for p in parts if p != "True") or "True", g.ns


def check(policies: Sequence[Policy]) -> None:
    """Refuse, at load, any policy the engine cannot evaluate (a ``PolicyError`` naming it)."""
    for p in policies:
        expression(p)
        action_matches(p.action, Entity(("Action", "")))


def compile_decider(
    policies: Sequence[Policy], action: Entity, *, narrowing: bool = False, resource_type: str = ""
) -> Decider:
    """The decision function of ``policies`` for ``action`` (see the module docstring)."""
    chosen = [p for p in policies if action_matches(p.action, action)]
    if narrowing:
        chosen = [p for p in chosen if not p.permit or targets(p.resource, resource_type)]
    ns: dict[str, Any] = {**HELPERS, "A": action}
    lines = ["def _decide(P, R, C, S):", "    f = None"]

    def block(p: Policy, var: str) -> None:
        g = _Gen(p.id)
        g.n = len(ns)
        code, names = expression(p, g)
        ns.update(names)
        lines.extend([
            "    try:", f"        if {code}:", f"            {var} = ({var} or []) + [{p.id!r}]",
            "    except (_CedarError, KeyError, TypeError):", "        pass",
        ])  # fmt: skip

    for p in chosen:
        if not p.permit:
            block(p, "f")
    lines.append("    if f: return (False, tuple(f))")
    permits = [p for p in chosen if p.permit]
    if narrowing and not permits:
        lines.append("    return (True, ())")
    else:
        lines.append("    p = None")
        for p in permits:
            block(p, "p")
        lines.append("    return (True, tuple(p)) if p else (False, ())")
    exec(compile("\n".join(lines), f"<policy decider {action.uid[1]}>", "exec"), ns)  # noqa: S102 - our own code
    decide: Decider = ns["_decide"]
    return decide
