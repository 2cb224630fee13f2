"""The query's size and depth limits, and the cheap checks that enforce them before any recursive pass.

Every pass, printer and rewrite over a query recurses over its tree, so a query too deep or too large
must be refused before any of them runs: ``check_json`` walks the raw JSON form with an explicit stack
(before ``from_json`` recurses into it), ``check_tree`` walks a parsed AST the same way (the text
parser is LALR and does not recurse). Both refuse text no database can store: a lone UTF-16 surrogate
has no UTF-8 encoding, so it is a 400 that names its place, never an encoding error at the driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pavedroad.query import ast as qa
from pavedroad.query.errors import QueryError, QueryLimitError, Span

__all__ = ["JSON_LEVELS_PER_EXPR", "Limits", "check_json", "check_tree", "lone_surrogate", "surrogate_message"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Refuse queries past these bounds, each with its own error code (Q401 to Q405).

    ``max_length`` bounds the text form (characters) and ``max_nodes`` either form (expressions), both
    Q401; ``max_depth`` bounds expression nesting (Q402), checked before any pass recurses.
    """

    max_length: int = 20_000
    max_depth: int = 40
    max_joins: int = 16
    max_rows: int = 10_000
    default_page: int = 100  # rows of a list query that names neither take nor page
    statement_timeout_ms: int = 15_000
    max_nodes: int = 10_000


# An expression level of the JSON form takes at most three containers ({"case": [[c, v]]}); the
# pipeline around the expressions takes at most six (root, steps, step, items, item, expression).
JSON_LEVELS_PER_EXPR = 3
_JSON_FRAME = 6

_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> int | None:
    """The index of the first UTF-16 surrogate code point in ``text`` (never valid text), or None."""
    found = _SURROGATE.search(text)
    return found.start() if found is not None else None


def surrogate_message(text: str, index: int) -> str:
    """Why such text is refused, naming the code point."""
    return f"U+{ord(text[index]):04X}, half of a UTF-16 surrogate pair and not a character"


_SURROGATE_HINT = "send valid Unicode: a \\uD800-\\uDFFF escape must be one half of a pair (e.g. \\ud83d\\ude00)"


def check_tree(pipeline: qa.Pipeline, limits: Limits) -> None:
    """Refuse an AST nested deeper than ``limits.max_depth`` (Q402, at the first node too deep) or with
    more than ``limits.max_nodes`` expressions (Q401); iterative, so any depth is safe to check."""
    stack: list[tuple[qa.Expr, int]] = [(e, 1) for e in reversed(_step_exprs(pipeline.steps))]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > limits.max_depth:
            raise QueryLimitError(
                f"the query nests deeper than {limits.max_depth} levels",
                code="Q402",
                span=node.span,
                hint="split the expression with derive steps",
            )
        if nodes > limits.max_nodes:
            raise QueryLimitError(
                f"the query has more than {limits.max_nodes} expressions",
                code="Q401",
                span=node.span,
                hint="split it into smaller reports",
            )
        stack.extend((child, depth + 1) for child in reversed(_children(node)))


def _step_exprs(steps: tuple[qa.Step, ...]) -> list[qa.Expr]:
    out: list[qa.Expr] = []
    for step in steps:
        if isinstance(step, qa.Where):
            out.append(step.expr)
        elif isinstance(step, qa.Derive | qa.Group | qa.Aggregate | qa.Select):
            out.extend(item.expr for item in step.items)
        elif isinstance(step, qa.Sort):
            out.extend(key.expr for key in step.keys)
        elif isinstance(step, qa.Take):
            out.append(step.count)
        else:
            out.append(step.size)
            if step.after is not None:
                out.append(step.after)
    return out


def _children(node: qa.Expr) -> tuple[qa.Expr, ...]:  # noqa: PLR0911 - one case per AST node
    if isinstance(node, qa.BinOp):
        return (node.left, node.right)
    if isinstance(node, qa.Unary):
        return (node.operand,)
    if isinstance(node, qa.Call):
        return node.args
    if isinstance(node, qa.In):
        return (node.expr, *node.items)
    if isinstance(node, qa.Between):
        return (node.expr, node.low, node.high)
    if isinstance(node, qa.IsNull):
        return (node.expr,)
    if isinstance(node, qa.Case):
        parts = [e for pair in node.whens for e in pair]
        return (*parts, node.default) if node.default is not None else tuple(parts)
    if isinstance(node, qa.Interval):
        return (node.amount,)
    return ()


def check_json(raw: Any, limits: Limits) -> None:
    """Refuse a JSON-form query nested deeper than its expressions may be (Q402) or holding a lone
    surrogate in any key or string (Q102); each error points at the place with a JSON pointer."""
    max_levels = JSON_LEVELS_PER_EXPR * limits.max_depth + _JSON_FRAME
    # (value, level, parent entry, key in parent): the pointer is rebuilt only for an error.
    stack: list[tuple[Any, int, Any, str]] = [(raw, 1, None, "")]
    while stack:
        entry = stack.pop()
        value, level, _, _ = entry
        if isinstance(value, str):
            _check_text(value, entry)
            continue
        if not isinstance(value, dict | list):
            continue
        if level > max_levels:
            raise QueryLimitError(
                f"the query nests deeper than {limits.max_depth} levels",
                code="Q402",
                span=Span(pointer=_pointer(entry)),
                hint="split the expression with derive steps",
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            if isinstance(key, str):
                _check_text(key, entry)  # points at the object: the key itself cannot be shown
            stack.append((child, level + 1, entry, str(key)))


def _check_text(text: str, entry: tuple[Any, int, Any, str]) -> None:
    index = lone_surrogate(text)
    if index is not None:
        raise QueryError(
            f"character {index + 1} of a string is {surrogate_message(text, index)}",
            code="Q102",
            span=Span(pointer=_pointer(entry)),
            hint=_SURROGATE_HINT,
        )


def _pointer(entry: tuple[Any, int, Any, str]) -> str:
    parts: list[str] = []
    while entry[2] is not None:
        parts.append(entry[3].replace("~", "~0").replace("/", "~1"))
        entry = entry[2]
    return "".join(f"/{p}" for p in reversed(parts))
