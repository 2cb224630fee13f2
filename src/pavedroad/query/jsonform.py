"""The JSON form report builders send, and its printer; both map 1:1 onto the AST.

    {"from": "applications",
     "steps": [{"where": {"op": ">=", "args": [{"field": "applied_at"}, {"value": "2024-01-01"}]}},
               {"group": [{"field": "source.name"}]},
               {"aggregate": [{"name": "n", "expr": {"call": "count", "args": []}}]},
               {"sort": [{"expr": {"field": "n"}, "desc": true}]},
               {"take": {"value": 20}}]}

Expressions: ``{"value": v}``, ``{"param": n}``, ``{"field": "a.b"}``, ``{"call": f, "args": [...]}``,
``{"op": o, "args": [l, r]}`` (``not``/``neg`` take one), ``{"in": e, "items": [...], "negated": b}``,
``{"between": e, "low": l, "high": h}``, ``{"is_null": e, "negated": b}``,
``{"case": [[c, v], ...], "else": e}``, ``{"interval": amount, "unit": "day"}``.
Items: an expression, or ``{"name": n, "expr": e}``. Spans are JSON pointers (``/steps/0/where``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pavedroad.query import ast as qa
from pavedroad.query.errors import QueryError, Span
from pavedroad.query.limits import Limits, check_json, check_tree

__all__ = ["from_json", "to_json"]

_STEPS = ("where", "derive", "group", "aggregate", "select", "sort", "take", "page")


def _bad(msg: str, ptr: str) -> QueryError:
    return QueryError(msg, code="Q102", span=Span(pointer=ptr), hint="see the JSON form in docs/query.md")


def _expr(raw: Any, ptr: str) -> qa.Expr:  # noqa: PLR0911, PLR0912
    sp = Span(pointer=ptr)
    if not isinstance(raw, dict) or not raw:
        raise _bad("an expression must be an object", ptr)
    if "value" in raw:
        v = raw["value"]
        if not (v is None or isinstance(v, str | int | float | bool)):
            raise _bad("a value must be a string, number, boolean or null", ptr)
        return qa.Lit(v, sp)
    if "param" in raw:
        name = raw["param"]
        if not isinstance(name, str) or not name.isidentifier():
            raise _bad("a param is a name like start_date", ptr)
        return qa.Param(name, sp)
    if "field" in raw:
        f = raw["field"]
        if not isinstance(f, str) or not all(p.isidentifier() for p in f.split(".")):
            raise _bad("a field is a dotted name like job.department.name", ptr)
        return qa.Path(tuple(f.split(".")), sp)
    args = raw.get("args", [])
    if not isinstance(args, list):
        raise _bad("args must be a list", ptr)
    if "call" in raw:
        if not isinstance(raw["call"], str) or not raw["call"].isidentifier():
            raise _bad("call is a function name like count", ptr)
        return qa.Call(raw["call"], tuple(_expr(a, f"{ptr}/args/{i}") for i, a in enumerate(args)), sp)
    if "op" in raw:
        op = raw["op"]
        if not isinstance(op, str):
            raise _bad("op is an operator like = or and", ptr)
        if op in ("not", "neg") and len(args) == 1:
            return qa.Unary("not" if op == "not" else "-", _expr(args[0], f"{ptr}/args/0"), sp)
        if len(args) != 2 or op not in {"=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "and", "or", "like"}:
            raise _bad(f"unknown operator {op!r} or wrong number of args", ptr)
        return qa.BinOp(op, _expr(args[0], f"{ptr}/args/0"), _expr(args[1], f"{ptr}/args/1"), sp)
    if "in" in raw:
        if not isinstance(raw.get("items"), list):
            raise _bad("in needs a list of items", ptr)
        items = tuple(_expr(x, f"{ptr}/items/{i}") for i, x in enumerate(raw["items"]))
        if not items:
            raise _bad("in needs at least one item", ptr)
        return qa.In(_expr(raw["in"], f"{ptr}/in"), items, bool(raw.get("negated")), sp)
    if "between" in raw:
        return qa.Between(_expr(raw["between"], f"{ptr}/between"), _expr(raw.get("low"), f"{ptr}/low"),
                         _expr(raw.get("high"), f"{ptr}/high"), bool(raw.get("negated")), sp)  # fmt: skip
    if "is_null" in raw:
        return qa.IsNull(_expr(raw["is_null"], f"{ptr}/is_null"), bool(raw.get("negated")), sp)
    if "case" in raw:
        pairs = raw["case"]
        if not isinstance(pairs, list) or not pairs or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise _bad("case is a non-empty list of [condition, value] pairs", ptr)
        whens = tuple(
            (_expr(c, f"{ptr}/case/{i}/0"), _expr(v, f"{ptr}/case/{i}/1")) for i, (c, v) in enumerate(raw["case"])
        )
        default = _expr(raw["else"], f"{ptr}/else") if raw.get("else") is not None else None
        return qa.Case(whens, default, sp)
    if "interval" in raw:
        amount = _expr(raw["interval"], f"{ptr}/interval")
        unit = str(raw.get("unit", "")).rstrip("s")
        if not isinstance(amount, qa.Lit | qa.Param) or unit not in (
            "minute",
            "hour",
            "day",
            "week",
            "month",
            "quarter",
            "year",
        ):
            raise _bad("an interval is a number or parameter with a unit (day, week, month…)", ptr)
        return qa.Interval(amount, unit, sp)
    raise _bad(f"unknown expression keys {sorted(raw)}", ptr)


def _items(raw: Any, ptr: str) -> tuple[qa.Assign, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad("expected a non-empty list", ptr)
    out = []
    for i, it in enumerate(raw):
        p = f"{ptr}/{i}"
        if isinstance(it, dict) and "expr" in it:
            name = it.get("name")
            if name is not None and not (isinstance(name, str) and name.isidentifier()):
                raise _bad("a name is an identifier like days_open", f"{p}/name")
            out.append(qa.Assign(name, _expr(it["expr"], f"{p}/expr"), Span(pointer=p)))
        else:
            out.append(qa.Assign(None, _expr(it, p), Span(pointer=p)))
    return tuple(out)


def _count(raw: Any, ptr: str) -> qa.Lit | qa.Param:
    e = _expr(raw, ptr)
    if not isinstance(e, qa.Lit | qa.Param):
        raise _bad("expected a number or a parameter", ptr)
    return e


_ITEM_STEPS: dict[str, Callable[[tuple[qa.Assign, ...], Span], qa.Step]] = {
    "derive": qa.Derive,
    "group": qa.Group,
    "aggregate": qa.Aggregate,
    "select": qa.Select,
}


def from_json(raw: Any, limits: Limits | None = None) -> qa.Pipeline:
    """The JSON form to the AST; malformed input raises Q102 with a JSON pointer. Within ``limits``:
    ``check_json`` before (this builder recurses), ``check_tree`` after (so does every later walk)."""
    limits = limits or Limits()
    check_json(raw, limits)
    pipeline = _pipeline(raw)
    check_tree(pipeline, limits)
    return pipeline


def _pipeline(raw: Any) -> qa.Pipeline:
    if not isinstance(raw, dict) or not isinstance(raw.get("from"), str):
        raise _bad("a query is an object with 'from' (an entity) and 'steps'", "")
    steps_raw = raw.get("steps", [])
    if not isinstance(steps_raw, list):
        raise _bad("steps must be a list", "/steps")
    steps: list[qa.Step] = []
    for i, s in enumerate(steps_raw):
        ptr = f"/steps/{i}"
        if not isinstance(s, dict) or len(s) != 1 or next(iter(s)) not in _STEPS:
            raise _bad(f"a step is an object with one of {', '.join(_STEPS)}", ptr)
        kind, body = next(iter(s.items()))
        sp = Span(pointer=f"{ptr}/{kind}")
        if kind == "where":
            steps.append(qa.Where(_expr(body, sp.pointer or ""), sp))
        elif kind in ("derive", "group", "aggregate", "select"):
            steps.append(_ITEM_STEPS[kind](_items(body, sp.pointer or ""), sp))
        elif kind == "sort":
            if not isinstance(body, list) or not body:
                raise _bad("sort needs a list of keys", sp.pointer or "")
            keys = tuple(
                qa.SortKey(
                    _expr(k.get("expr") if isinstance(k, dict) else None, f"{sp.pointer}/{j}/expr"),
                    bool(k.get("desc")),
                    Span(pointer=f"{sp.pointer}/{j}"),
                )
                for j, k in enumerate(body)
            )
            steps.append(qa.Sort(keys, sp))
        elif kind == "take":
            steps.append(qa.Take(_count(body, sp.pointer or ""), sp))
        else:
            if not isinstance(body, dict):
                raise _bad("page is {size: …, after: {param: …}}", sp.pointer or "")
            after = _expr(body["after"], f"{sp.pointer}/after") if body.get("after") else None
            if after is not None and not isinstance(after, qa.Param):
                raise _bad("page after takes a parameter", f"{sp.pointer}/after")
            steps.append(qa.Page(_count(body.get("size"), f"{sp.pointer}/size"), after, sp))
    return qa.Pipeline(raw["from"], tuple(steps), Span(pointer=""))


def _jexpr(e: qa.Expr) -> dict[str, Any]:  # noqa: PLR0911
    if isinstance(e, qa.Lit):
        return {"value": e.value}
    if isinstance(e, qa.Param):
        return {"param": e.name}
    if isinstance(e, qa.Path):
        return {"field": e.dotted}
    if isinstance(e, qa.Call):
        return {"call": e.name, "args": [_jexpr(a) for a in e.args]}
    if isinstance(e, qa.BinOp):
        return {"op": e.op, "args": [_jexpr(e.left), _jexpr(e.right)]}
    if isinstance(e, qa.Unary):
        return {"op": "not" if e.op == "not" else "neg", "args": [_jexpr(e.operand)]}
    if isinstance(e, qa.In):
        return {"in": _jexpr(e.expr), "items": [_jexpr(i) for i in e.items], "negated": e.negated}
    if isinstance(e, qa.Between):
        return {"between": _jexpr(e.expr), "low": _jexpr(e.low), "high": _jexpr(e.high), "negated": e.negated}
    if isinstance(e, qa.IsNull):
        return {"is_null": _jexpr(e.expr), "negated": e.negated}
    if isinstance(e, qa.Case):
        return {"case": [[_jexpr(c), _jexpr(v)] for c, v in e.whens],
                "else": _jexpr(e.default) if e.default is not None else None}  # fmt: skip
    return {"interval": _jexpr(e.amount), "unit": e.unit}


def _jitems(items: tuple[qa.Assign, ...]) -> list[Any]:
    return [{"name": i.name, "expr": _jexpr(i.expr)} if i.name else _jexpr(i.expr) for i in items]


def to_json(q: qa.Pipeline) -> dict[str, Any]:
    """The AST to the JSON form; ``from_json(to_json(q)) == q``."""
    steps: list[dict[str, Any]] = []
    for s in q.steps:
        if isinstance(s, qa.Where):
            steps.append({"where": _jexpr(s.expr)})
        elif isinstance(s, qa.Derive | qa.Group | qa.Aggregate | qa.Select):
            steps.append({type(s).__name__.lower(): _jitems(s.items)})
        elif isinstance(s, qa.Sort):
            steps.append({"sort": [{"expr": _jexpr(k.expr), "desc": k.descending} for k in s.keys]})
        elif isinstance(s, qa.Take):
            steps.append({"take": _jexpr(s.count)})
        elif isinstance(s, qa.Page):
            page: dict[str, Any] = {"size": _jexpr(s.size)}
            if s.after:
                page["after"] = {"param": s.after.name}
            steps.append({"page": page})
    return {"from": q.entity, "steps": steps}
