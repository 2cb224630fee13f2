"""Query errors: a stable code, a one-sentence message, a hint, and the span of source it points at.

``QueryError`` is an ``InvalidInput`` (HTTP 400); ``QueryLimitError`` is a ``LimitExceeded`` (422);
``UnsafeQuery`` is the verifier refusing to emit SQL (a compiler bug, so 500, never shown as data);
``InternalCompilerError`` is any other broken compiler invariant (500, with the query's span). Invariants
are checked by these errors, never by ``assert``, so they hold under ``python -O`` too.
``render(source)`` draws the caret form the CLI prints::

    Q104 unknown field 'stagee' on applications; did you mean 'stage'?
      --> report:2:9
       |
     2 | | group stagee.name
       |         ^^^^^^
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from pavedroad.errors import InternalError, InvalidInput, LimitExceeded, PavedroadError

__all__ = [
    "CODES", "InternalCompilerError", "QueryError", "QueryLimitError", "Span", "UnsafeQuery", "available",
    "did_you_mean", "internal", "internal_of", "render_span",
]  # fmt: skip

_T = TypeVar("_T")

# Stable codes. Tests and clients match on these; never renumber.
CODES: dict[str, str] = {
    "Q100": "syntax error",
    "Q101": "unexpected character",
    "Q102": "invalid JSON query",
    "Q103": "unknown entity",
    "Q104": "unknown field",
    "Q105": "unknown function",
    "Q106": "not a relation",
    "Q107": "missing parameter value",
    "Q108": "bad parameter value",
    "Q109": "duplicate name",
    "Q110": "ambiguous name",
    "Q201": "type mismatch",
    "Q202": "wrong number of arguments",
    "Q203": "aggregate not allowed here",
    "Q204": "field must be grouped or aggregated",
    "Q205": "window not allowed here",
    "Q301": "steps out of order",
    "Q302": "aggregate cannot be split over a one-to-many relation",
    "Q303": "invalid page",
    "Q304": "a report over sensitive data would single someone out",
    "Q401": "query too long",
    "Q402": "nesting too deep",
    "Q403": "too many joins",
    "Q404": "too many rows requested",
    "Q405": "statement timeout",
    "Q501": "the query failed at run time",
    "Q900": "refused to emit unsafe SQL",
    "Q901": "internal compiler error",
}


@dataclass(frozen=True, slots=True)
class Span:
    """Where in the source a node came from: offsets and 1-based line/column, or a JSON pointer."""

    start: int = 0
    end: int = 0
    line: int = 1
    column: int = 1
    pointer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.pointer is not None:
            return {"pointer": self.pointer}
        return {"start": self.start, "end": self.end, "line": self.line, "column": self.column}


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name`` (difflib ratio ≥ 0.6), or None."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def available(candidates: Iterable[str], first: str | None = None, shown: int = 12) -> str | None:
    """The ``available: …`` hint: the closest name first, then the others in order, at most ``shown`` of them,
    ending in ``…`` when some were left out (so the list never pretends to be complete)."""
    names = sorted(set(candidates))
    if first in names:
        names = [first, *(n for n in names if n != first)]
    if not names:
        return None
    more = len(names) > shown
    return "available: " + ", ".join(names[:shown]) + (", …" if more else "")


def render_span(source: str | None, span: Span | None, origin: str = "report") -> str:
    """The ``--> origin:line:col`` block with the source line and carets; empty without a text span."""
    if span is None or source is None or span.pointer is not None:
        return f"  --> {origin}:{span.pointer}" if span is not None and span.pointer is not None else ""
    lines = source.splitlines() or [""]
    line_no = min(max(span.line, 1), len(lines))
    text = lines[line_no - 1]
    width = max(1, min(span.end - span.start, len(text) - span.column + 1))
    gutter = " " * len(str(line_no))
    return (
        f"  --> {origin}:{span.line}:{span.column}\n"
        f" {gutter} |\n"
        f" {line_no} | {text}\n"
        f" {gutter} | {' ' * (span.column - 1)}{'^' * width}"
    )


class _SpanMixin(PavedroadError):
    """What every compiler error shares: a span into the query's source, rendered with a caret."""

    def __init__(
        self, message: str, *, code: str, span: Span | None = None, hint: str | None = None, source: str | None = None
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        self.span = span
        self.source = source

    def with_source(self, source: str | None) -> Self:
        """The same error, able to render the source text it points into."""
        if self.source is None:
            self.source = source
        return self

    def to_dict(self) -> dict[str, Any]:
        """The JSON body: ``span`` (line and column in text, or a JSON pointer) and, for text, ``caret``
        (the rendered source line with carets under the span, as the CLI prints it)."""
        body = super().to_dict()
        body["span"] = self.span.to_dict() if self.span else None
        if self.span is not None and self.span.pointer is None and self.source is not None:
            body["caret"] = render_span(self.source, self.span)
        return body

    def render(self) -> str:
        return self._render(f"{self.code} {self.message}", self.hint)

    def _render(self, head: str, hint: str | None) -> str:
        block = render_span(self.source, self.span)
        text = head + ("\n" + block if block else "")
        if hint:
            text += f"\n  hint: {hint}"
        return text


class QueryError(_SpanMixin, InvalidInput):
    """A query the compiler refuses: bad syntax, unknown names, type errors. HTTP 400."""

    default_code = "Q100"


class QueryLimitError(_SpanMixin, LimitExceeded):
    """A configured limit (length, depth, joins, rows, time) was hit. HTTP 422."""

    default_code = "Q401"


class UnsafeQuery(PavedroadError):
    """The verifier found an unscoped table or an inline literal: a compiler bug; nothing is emitted."""

    default_code = "Q900"


class InternalCompilerError(_SpanMixin, InternalError):
    """A compiler invariant did not hold: a bug in pavedroad, not in the query. HTTP 500, nothing is emitted.

    Raised instead of ``assert`` so the check survives ``python -O``; carries the span of the query (or of
    the node being compiled) so the report that broke it can be found and reproduced."""

    default_code = "Q901"

    def __init__(self, message: str, *, span: Span | None = None, source: str | None = None) -> None:
        super().__init__(
            f"internal compiler error: {message}",
            code="Q901",
            span=span,
            hint="this is a bug in pavedroad, not in the query; please report it with the query",
            source=source,
        )


def internal(value: _T | None, what: str, span: Span | None = None) -> _T:
    """``value``, which a compiler invariant says is present; ``InternalCompilerError`` naming ``what`` if not."""
    if value is None:
        raise InternalCompilerError(f"{what} is missing", span=span)
    return value


def internal_of(value: object, kind: type[_T], what: str, span: Span | None = None) -> _T:
    """``value`` as a ``kind``, which a compiler invariant guarantees; ``InternalCompilerError`` if it is not."""
    if not isinstance(value, kind):
        raise InternalCompilerError(f"{what} is a {type(value).__name__}, not a {kind.__name__}", span=span)
    return value
