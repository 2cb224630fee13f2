"""Suite files: the named queries the profiler, the index advisor and the plan check work through.

Two forms are read: YAML, a list of mappings with ``name`` and ``dsl`` (or ``query``) — the form of
``benchmarks/query_suite.yaml``, whose other keys are ignored — or plain text, one query per paragraph
(blank-line separated, named ``q1``, ``q2``, …). Guarantee: names are unique, queries non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pavedroad.errors import InvalidInput

__all__ = ["SuiteQuery", "load_suite", "parse_suite"]


@dataclass(frozen=True, slots=True)
class SuiteQuery:
    name: str
    query: str


def parse_suite(text: str, *, origin: str = "suite") -> list[SuiteQuery]:
    """The queries of a suite file's text (YAML list, or paragraphs of pipeline text)."""
    stripped = text.lstrip()
    out: list[SuiteQuery] = []
    if stripped.startswith(("-", "#")) and _yaml_list(text) is not None:
        for i, item in enumerate(_yaml_list(text) or [], start=1):
            entry: dict[str, object] = item if isinstance(item, dict) else {}
            query = entry.get("dsl") or entry.get("query")
            if not isinstance(query, str) or not query.strip():
                raise InvalidInput(f"{origin}: entry {i} has no 'dsl' or 'query' text", code="Q601",
                                   hint="each entry: {name: ..., dsl: '<pipeline text>'}")  # fmt: skip
            out.append(SuiteQuery(str(entry.get("name") or f"q{i}"), query.strip()))
    else:
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        out = [SuiteQuery(f"q{i}", p) for i, p in enumerate(paragraphs, start=1)]
    if not out:
        raise InvalidInput(f"{origin} holds no queries", code="Q601", hint="one query per paragraph, or a YAML list")
    names = [q.name for q in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidInput(f"{origin}: query names repeat: {', '.join(dupes)}", code="Q601")
    return out


def _yaml_list(text: str) -> list[object] | None:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return value if isinstance(value, list) else None


def load_suite(path: str | Path) -> list[SuiteQuery]:
    """``parse_suite`` of a file; a missing file is an ``InvalidInput`` naming it."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"suite file {p} not found", code="Q601", hint="e.g. --suite benchmarks/query_suite.yaml")
    return parse_suite(p.read_text(), origin=str(p))
