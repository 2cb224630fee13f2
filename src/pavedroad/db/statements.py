"""Split a migration file into statements, aware of quotes, dollar quoting and comments.

Guarantee: semicolons inside ``'strings'``, ``"identifiers"``, ``$tag$ bodies $tag$`` and comments never
split a statement; each statement comes back with comments stripped, whitespace collapsed and the
1-based line it starts on, so the rules in ``privacy.migration_safety`` can match simple patterns safely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Statement", "split_statements"]

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Statement:
    line: int
    text: str  # comments removed, whitespace collapsed, original case

    @property
    def upper(self) -> str:
        return self.text.upper()


def split_statements(source: str) -> list[Statement]:  # noqa: PLR0915 - one scanner loop reads best whole
    """The statements of ``source`` in order (empty ones dropped)."""
    out: list[Statement] = []
    buf: list[str] = []
    start_line = 1
    line = 1
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if not "".join(buf).strip() and not ch.isspace():
            start_line = line
        if ch == "-" and source.startswith("--", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "/" and source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += source.count("\n", i, end)
            buf.append(" ")
            i = end
            continue
        if ch in "'\"":
            end = i + 1
            while end < n:
                if source[end] == ch and source.startswith(ch * 2, end):
                    end += 2
                    continue
                if source[end] == ch:
                    break
                end += 1
            chunk = source[i : end + 1]
            buf.append(chunk)
            line += chunk.count("\n")
            i = end + 1
            continue
        match = _DOLLAR.match(source, i) if ch == "$" else None
        if match:
            tag = match.group(0)
            end = source.find(tag, match.end())
            end = n if end < 0 else end + len(tag)
            chunk = source[i:end]
            buf.append(chunk)
            line += chunk.count("\n")
            i = end
            continue
        if ch == ";":
            _flush(out, buf, start_line)
            buf = []
        else:
            buf.append(ch)
            if ch == "\n":
                line += 1
        i += 1
    _flush(out, buf, start_line)
    return out


def _flush(out: list[Statement], buf: list[str], line: int) -> None:
    text = " ".join("".join(buf).split())
    if text:
        out.append(Statement(line, text))
