"""The text form: Lark LALR parser (grammar in ``grammar.lark``) with an inline Transformer, and the printer.

The parser and its transformer are built once per process; ``parse_text`` turns syntax errors into
``QueryError`` Q100/Q101 with a span, the expected tokens and a did-you-mean for misspelt keywords.
``to_text`` prints an AST back in canonical form; ``parse_text(to_text(q)) == q``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from pavedroad.query import ast as qa
from pavedroad.query.errors import InternalCompilerError, QueryError, QueryLimitError, Span, did_you_mean
from pavedroad.query.lark_cache import lark_cache_file
from pavedroad.query.limits import Limits, check_tree, lone_surrogate, surrogate_message

__all__ = ["check_source", "parse_expr", "parse_text", "to_text", "unquote"]

_TYPED_LITERALS = ("date",)  # `date "…"` reads as date("…"): an ISO date, typed and checked as one
_STEP_WORDS = ("where", "having", "derive", "group", "aggregate", "select", "sort", "take", "page")


def _union(children: list[Any]) -> Span:
    """The span covering every child that has one (tokens and nodes); Lark's inline mode has no meta."""
    first: Span | None = None
    last: Span | None = None
    for child in children:
        if isinstance(child, Token):
            span = _tspan(child)
        else:
            found = getattr(child, "span", None)
            if not isinstance(found, Span) or found is qa.NO_SPAN:
                continue
            span = found
        if first is None:
            first = span
        last = span
    if first is None or last is None:
        return qa.NO_SPAN
    return Span(first.start, max(first.end, last.end), first.line, first.column)


def _with_span(func: Any, _data: str, children: list[Any], _meta: Any) -> Any:
    return func(_union(children), *children)


def _tspan(tok: Token) -> Span:
    return Span(tok.start_pos or 0, tok.end_pos or 0, tok.line or 1, tok.column or 1)


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
_HEX = frozenset("0123456789abcdefABCDEF")


def unquote(raw: str) -> str:
    r"""The value of a quoted string token: ``\\ \" \' \n \t \r \uXXXX`` decoded (a ``\uD83D\uDE00``
    surrogate pair as the one character it encodes), any other backslash kept as written (a literal is
    always data, never an error the caller cannot see). A lone surrogate escape is kept as written too,
    so the value is always encodable; ``check_source`` refuses such text before it is parsed."""
    return _decode(raw)[0]


def _escape(body: str, i: int) -> int | None:
    r"""The code point of a ``\uXXXX`` escape at ``body[i]``, or None."""
    if body.startswith("\\u", i) and len(body) >= i + 6 and all(c in _HEX for c in body[i + 2 : i + 6]):
        return int(body[i + 2 : i + 6], 16)
    return None


def _decode(raw: str) -> tuple[str, int | None]:
    """``unquote``'s value and the offset in ``raw`` of its first lone surrogate escape (or None)."""
    body = raw[1:-1]
    if "\\" not in body:
        return body, None
    out: list[str] = []
    lone: int | None = None
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        code = _escape(body, i)
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif code is not None and not 0xD800 <= code <= 0xDFFF:
            out.append(chr(code))
            i += 6
        elif code is not None and code <= 0xDBFF and 0xDC00 <= (_escape(body, i + 6) or 0) <= 0xDFFF:
            low = _escape(body, i + 6) or 0
            out.append(chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)))
            i += 12
        else:
            if code is not None and lone is None:
                lone = i + 1
            out.append(ch)
            i += 1
    return "".join(out), lone


_SOURCE_STRINGS = re.compile(r"""\#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")


def check_source(source: str, limits: Limits | None = None) -> None:
    """Refuse text before it is parsed: longer than ``limits.max_length`` (Q401), or holding a lone UTF-16
    surrogate, raw or as a string escape (Q101 at its line and column): it has no UTF-8 encoding."""
    limits = limits or Limits()
    if len(source) > limits.max_length:
        raise QueryLimitError(
            f"the query is {len(source)} characters; the limit is {limits.max_length}",
            code="Q401",
            hint="split it into smaller reports",
            source=source,
        )
    at = lone_surrogate(source)
    if at is not None:
        raise _surrogate_error(source, at, f"the query holds {surrogate_message(source, at)}")
    if "\\u" not in source:
        return
    for token in _SOURCE_STRINGS.finditer(source):
        lone = _decode(token.group())[1] if token.group()[0] != "#" else None
        if lone is not None:
            at = token.start() + lone
            message = f"the escape {source[at : at + 6]} is half of a UTF-16 surrogate pair and not a character"
            raise _surrogate_error(source, at, message, width=6)


def _surrogate_error(source: str, at: int, message: str, *, width: int = 1) -> QueryError:
    line = source.count("\n", 0, at) + 1
    column = at - (source.rfind("\n", 0, at) + 1) + 1
    return QueryError(
        message,
        code="Q101",
        span=Span(at, at + width, line, column),
        hint="write the character itself, or both halves of its pair (e.g. \\ud83d\\ude00)",
        source=source,
    )


@v_args(wrapper=_with_span)
class _Build(Transformer[Token, qa.Pipeline]):
    """One method per grammar rule; builds frozen AST nodes with spans."""

    def start(self, sp: Span, name: Token, *steps: qa.Step) -> qa.Pipeline:
        return qa.Pipeline(str(name), tuple(steps), sp)

    def expr_start(self, sp: Span, expr: qa.Expr) -> qa.Expr:
        return expr

    def where(self, sp: Span, expr: qa.Expr) -> qa.Where:
        return qa.Where(expr, sp)

    having = where

    def derive(self, sp: Span, *items: qa.Assign) -> qa.Derive:
        return qa.Derive(items, sp)

    def group(self, sp: Span, *items: qa.Assign) -> qa.Group:
        return qa.Group(items, sp)

    def aggregate(self, sp: Span, *items: qa.Assign) -> qa.Aggregate:
        return qa.Aggregate(items, sp)

    def select(self, sp: Span, *items: qa.Assign) -> qa.Select:
        return qa.Select(items, sp)

    def sort(self, sp: Span, *keys: qa.SortKey) -> qa.Sort:
        return qa.Sort(keys, sp)

    def take(self, sp: Span, count: qa.Lit | qa.Param) -> qa.Take:
        return qa.Take(count, sp)

    def page(self, sp: Span, size: qa.Lit | qa.Param, after: qa.Param | None = None) -> qa.Page:
        return qa.Page(size, after, sp)

    def assign(self, sp: Span, name: Token, expr: qa.Expr) -> qa.Assign:
        return qa.Assign(str(name), expr, sp)

    def item(self, sp: Span, *parts: Any) -> qa.Assign:
        if len(parts) == 2:
            return qa.Assign(str(parts[0]), parts[1], sp)
        return qa.Assign(None, parts[0], sp)

    def sort_key(self, sp: Span, expr: qa.Expr, direction: Token | None = None) -> qa.SortKey:
        desc = direction is not None and str(direction).lower() == "desc"
        if direction is None and isinstance(expr, qa.Unary) and expr.op == "-":
            return qa.SortKey(expr.operand, True, sp)
        return qa.SortKey(expr, desc, sp)

    def or_expr(self, sp: Span, *items: qa.Expr) -> qa.Expr:
        return self._fold("or", items, sp)

    def and_expr(self, sp: Span, *items: qa.Expr) -> qa.Expr:
        return self._fold("and", items, sp)

    @staticmethod
    def _fold(op: str, items: tuple[qa.Expr, ...], sp: Span) -> qa.Expr:
        out = items[0]
        for nxt in items[1:]:
            out = qa.BinOp(op, out, nxt, Span(out.span.start, nxt.span.end, out.span.line, out.span.column))
        return out

    def not_(self, sp: Span, _keyword: Token, operand: qa.Expr) -> qa.Unary:
        return qa.Unary("not", operand, sp)

    def neg(self, sp: Span, operand: qa.Expr) -> qa.Unary:
        return qa.Unary("-", operand, sp)

    def compare(self, sp: Span, left: qa.Expr, op: Token, right: qa.Expr) -> qa.BinOp:
        canon = {"==": "=", "<>": "!="}.get(str(op), str(op))
        return qa.BinOp(canon, left, right, sp)

    def binop(self, sp: Span, left: qa.Expr, op: Token, right: qa.Expr) -> qa.BinOp:
        return qa.BinOp(str(op), left, right, sp)

    def like(self, sp: Span, left: qa.Expr, right: qa.Expr) -> qa.BinOp:
        return qa.BinOp("like", left, right, sp)

    def not_like(self, sp: Span, left: qa.Expr, right: qa.Expr) -> qa.Unary:
        return qa.Unary("not", qa.BinOp("like", left, right, sp), sp)

    def in_(self, sp: Span, expr: qa.Expr, *items: qa.Expr) -> qa.In:
        return qa.In(expr, items, False, sp)

    def not_in(self, sp: Span, expr: qa.Expr, *items: qa.Expr) -> qa.In:
        return qa.In(expr, items, True, sp)

    def between(self, sp: Span, expr: qa.Expr, low: qa.Expr, high: qa.Expr) -> qa.Between:
        return qa.Between(expr, low, high, False, sp)

    def not_between(self, sp: Span, expr: qa.Expr, low: qa.Expr, high: qa.Expr) -> qa.Between:
        return qa.Between(expr, low, high, True, sp)

    def is_null(self, sp: Span, expr: qa.Expr) -> qa.IsNull:
        return qa.IsNull(expr, False, sp)

    def is_not_null(self, sp: Span, expr: qa.Expr) -> qa.IsNull:
        return qa.IsNull(expr, True, sp)

    def interval(self, sp: Span, amount: Any, unit: Token) -> qa.Interval:
        if isinstance(amount, Token):
            value: int | float = int(amount) if amount.type == "INT" else float(amount)
            amount = qa.Lit(value, _tspan(amount))
        name = str(unit).rstrip("s")
        return qa.Interval(amount, name, sp)

    def call(self, sp: Span, name: Token, *args: qa.Expr | None) -> qa.Call:
        return qa.Call(str(name), tuple(a for a in args if a is not None), sp)

    def typed_lit(self, sp: Span, name: Token, tok: Token) -> qa.Call:
        if str(name) not in _TYPED_LITERALS:
            raise QueryError(f"'{name}' does not start a literal", code="Q100", span=_tspan(name),
                             hint='a typed literal is date "2024-01-31"; a call needs parentheses: f(x)')  # fmt: skip
        return qa.Call(str(name), (qa.Lit(unquote(str(tok)), _tspan(tok)),), sp)

    def case(self, sp: Span, *parts: qa.Expr) -> qa.Case:
        pairs = tuple((parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2))
        default = parts[-1] if len(parts) % 2 else None
        return qa.Case(pairs, default, sp)

    def path(self, sp: Span, *names: Token) -> qa.Path:
        return qa.Path(tuple(str(n) for n in names), sp)

    def param(self, sp: Span, name: Token) -> qa.Param:
        return qa.Param(str(name), sp)

    def string(self, sp: Span, tok: Token) -> qa.Lit:
        return qa.Lit(unquote(str(tok)), _tspan(tok))

    def int_lit(self, sp: Span, tok: Token) -> qa.Lit:
        return qa.Lit(int(tok), _tspan(tok))

    def dec_lit(self, sp: Span, tok: Token) -> qa.Lit:
        return qa.Lit(float(tok), _tspan(tok))

    def true(self, sp: Span, _keyword: Token) -> qa.Lit:
        return qa.Lit(True, sp)

    def false(self, sp: Span, _keyword: Token) -> qa.Lit:
        return qa.Lit(False, sp)

    def null(self, sp: Span, _keyword: Token) -> qa.Lit:
        return qa.Lit(None, sp)


@cache
def _parser() -> Lark:
    grammar = resources.files("pavedroad.query").joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", transformer=_Build(), maybe_placeholders=True, start=["start", "expr_start"],
                cache=lark_cache_file("query-grammar"))  # fmt: skip


_TOKEN_WORDS = {
    "PIPE": "'|'", "NAME": "a name", "STRING": "a string", "INT": "a number", "DECIMAL": "a number",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "EQUAL": "'='", "DOLLAR": "'$'", "DOT": "'.'",
    "UNIT": "a unit (days, weeks, months…)", "$END": "the end of the query",
}  # fmt: skip


def _expected(exc: UnexpectedInput) -> str:
    names = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    words = []
    for n in names:
        word = _TOKEN_WORDS.get(n)
        if word is None:
            pattern = _parser().get_terminal(n).pattern.value if n in {t.name for t in _parser().terminals} else n
            word = f"'{pattern}'" if pattern.isalpha() else n.lower()
        if word not in words:
            words.append(word)
    return ", ".join(words[:8])


def parse_text(source: str, limits: Limits | None = None) -> qa.Pipeline:
    """Parse the pipeline text form within ``limits`` (``check_source`` before, ``check_tree`` after:
    the parser does not recurse, every later walk does); syntax errors become ``QueryError`` with a span."""
    limits = limits or Limits()
    check_source(source, limits)
    result = _parse(source, "start")
    if not isinstance(result, qa.Pipeline):
        raise InternalCompilerError(f"the parser returned a {type(result).__name__}, not a pipeline")
    try:
        check_tree(result, limits)
    except QueryLimitError as exc:
        raise exc.with_source(source) from None
    return result


def parse_expr(source: str) -> qa.Expr:
    """Parse one expression (used for the semantic model's derived fields and measures)."""
    return _parse(source, "expr_start")  # type: ignore[return-value]


def _parse(source: str, start: str) -> object:
    try:
        return _parser().parse(source, start=start)
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            end = len(source.rstrip())
            line = source[:end].count("\n") + 1
            col = end - (source.rfind("\n", 0, end) + 1) + 1
            raise QueryError(
                "the query ends too early",
                code="Q100",
                span=Span(end, end + 1, line, col),
                hint=f"expected {_expected(exc)}",
                source=source,
            ) from None
        word = str(tok)
        hint = f"expected {_expected(exc)}"
        guess = did_you_mean(word, _STEP_WORDS) if tok.type == "NAME" else None
        if guess:
            hint = f"did you mean '{guess}'?"
        raise QueryError(f"unexpected '{word}'", code="Q100", span=_tspan(tok), hint=hint, source=source) from None
    except UnexpectedCharacters as exc:
        pos = exc.pos_in_stream or 0
        ch = source[pos] if pos < len(source) else ""
        raise QueryError(
            f"unexpected character {ch!r}",
            code="Q101",
            span=Span(pos, pos + 1, exc.line, exc.column),
            hint="strings are quoted with \" or '; parameters start with $",
            source=source,
        ) from None
    except UnexpectedEOF as exc:  # pragma: no cover - LALR reports EOF as an $END token
        raise QueryError("the query ends too early", code="Q100", hint=f"expected {_expected(exc)}") from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc.with_source(source) from None
        raise QueryError(f"invalid literal: {exc.orig_exc}", code="Q100", source=source) from None


_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "neg": 7}


def _lit(value: qa.LitValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _prec(e: qa.Expr) -> int:
    if isinstance(e, qa.BinOp):
        return _PREC.get(e.op, 4)
    if isinstance(e, qa.Unary):
        return _PREC["not"] if e.op == "not" else _PREC["neg"]
    if isinstance(e, qa.In | qa.Between | qa.IsNull):
        return 4
    return 9


def expr_text(e: qa.Expr, parent: int = 0) -> str:  # noqa: PLR0911
    """An expression in canonical text form, parenthesised only where precedence needs it."""
    p = _prec(e)
    if isinstance(e, qa.Lit):
        return _lit(e.value)
    if isinstance(e, qa.Param):
        return f"${e.name}"
    if isinstance(e, qa.Path):
        return e.dotted
    if isinstance(e, qa.Call):
        return f"{e.name}({', '.join(expr_text(a) for a in e.args)})"
    if isinstance(e, qa.Interval):
        return f"{expr_text(e.amount)} {e.unit}s"
    if isinstance(e, qa.Case):
        whens = " ".join(f"when {expr_text(c)} then {expr_text(v)}" for c, v in e.whens)
        default = f" else {expr_text(e.default)}" if e.default is not None else ""
        return f"case {whens}{default} end"
    if isinstance(e, qa.BinOp):
        # Left-associative; comparisons do not chain, so both sides bind tighter.
        left, right = (5, 5) if p == 4 else (p, p + 1)
        text = f"{expr_text(e.left, left)} {e.op} {expr_text(e.right, right)}"
    elif isinstance(e, qa.Unary):
        text = f"not {expr_text(e.operand, p)}" if e.op == "not" else f"-{expr_text(e.operand, p)}"
    elif isinstance(e, qa.In):
        text = f"{expr_text(e.expr, 5)} {'not in' if e.negated else 'in'} ({', '.join(expr_text(i) for i in e.items)})"
    elif isinstance(e, qa.Between):
        word = "not between" if e.negated else "between"
        text = f"{expr_text(e.expr, 5)} {word} {expr_text(e.low, 5)} and {expr_text(e.high, 5)}"
    elif isinstance(e, qa.IsNull):
        text = f"{expr_text(e.expr, 5)} is {'not null' if e.negated else 'null'}"
    else:
        raise InternalCompilerError(f"no text form for {type(e).__name__}")
    return f"({text})" if p < parent or (p == parent and p in (4,)) else text


def _items(items: tuple[qa.Assign, ...]) -> str:
    return ", ".join(f"{i.name} = {expr_text(i.expr)}" if i.name else expr_text(i.expr) for i in items)


def _sort_text(s: qa.Sort) -> str:
    return ", ".join(f"{expr_text(k.expr)}{' desc' if k.descending else ''}" for k in s.keys)


def _page_text(s: qa.Page) -> str:
    return f"size {expr_text(s.size)}" + (f" after ${s.after.name}" if s.after else "")


_STEP_TEXT: dict[type, Callable[[Any], str]] = {
    qa.Where: lambda s: expr_text(s.expr),
    qa.Derive: lambda s: _items(s.items),
    qa.Group: lambda s: _items(s.items),
    qa.Aggregate: lambda s: _items(s.items),
    qa.Select: lambda s: _items(s.items),
    qa.Sort: _sort_text,
    qa.Take: lambda s: expr_text(s.count),
    qa.Page: _page_text,
}


def to_text(q: qa.Pipeline) -> str:
    """The canonical pipeline text of ``q``; ``parse_text(to_text(q)) == q``."""
    lines = [q.entity] + [f"| {type(s).__name__.lower()} {_STEP_TEXT[type(s)](s)}" for s in q.steps]
    return "\n".join(lines)
