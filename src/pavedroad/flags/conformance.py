"""Runners for public conformance suites, given the suite's directory (nothing here is vendored).

``run_flagd_evaluator(dir)`` runs flagd-testbed's provider-independent evaluator suite
(``evaluator/gherkin/*.feature`` against ``evaluator/flags/testkit-flags.json``) through the direct
client: a small Gherkin reader expands each Scenario Outline's Examples into cases. We implement
fractional hash version **v2**, so examples tagged ``@fractional-v1`` are skipped (and counted as such).
The tests and ``benchmarks/flags.py`` both call it, so the benchmark reports the same pass counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pavedroad.flags.client import FlagClient
from pavedroad.flags.model import parse_flag_set
from pavedroad.flags.runtime import FlagRuntime
from pavedroad.flags.store import StoreState

__all__ = ["Case", "SuiteResult", "gherkin_cases", "run_flagd_evaluator"]

SKIP_TAGS = frozenset({"@fractional-v1"})


@dataclass
class Case:
    """One concrete scenario (an outline with one Examples row substituted)."""

    feature: str
    name: str
    tags: frozenset[str]
    steps: list[tuple[str, list[list[str]]]]


@dataclass
class SuiteResult:
    """Counts and failures of one suite run."""

    passed: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + len(self.failures)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def gherkin_cases(path: Path) -> Iterator[Case]:
    """Expand a .feature file into cases (Background steps first, Examples rows substituted)."""
    feature = path.stem
    background: list[tuple[str, list[list[str]]]] = []
    feature_tags: set[str] = set()
    pending: set[str] = set()
    scenario: dict[str, Any] | None = None
    target: list[tuple[str, list[list[str]]]] | None = None
    examples: list[tuple[frozenset[str], list[list[str]]]] = []

    def flush() -> Iterator[Case]:
        if scenario is None:
            return
        steps = background + scenario["steps"]
        if not examples:
            yield Case(feature, scenario["name"], frozenset(scenario["tags"]), steps)
        for tags, table in examples:
            header, rows = table[0], table[1:]
            for row in rows:
                values = dict(zip(header, row, strict=False))
                sub = [(_fill(text, values), [[_fill(c, values) for c in r] for r in t]) for text, t in steps]
                yield Case(feature, f"{scenario['name']} {values}", frozenset(scenario["tags"] | tags), sub)

    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            pending |= set(line.split())
        elif line.startswith("Feature:"):
            feature_tags, pending = pending, set()
        elif line.startswith("Background:"):
            target = background
        elif line.startswith(("Scenario:", "Scenario Outline:")):
            yield from flush()
            scenario = {"name": line.split(":", 1)[1].strip(), "tags": feature_tags | pending, "steps": []}
            pending, examples, target = set(), [], scenario["steps"]
        elif line.startswith("Examples"):
            examples.append((frozenset(pending), []))
            pending, target = set(), None
        elif line.startswith("|"):
            if target is None:
                examples[-1][1].append(_cells(line))
            else:
                target[-1][1].append(_cells(line))
        elif target is not None:
            target.append((line.split(" ", 1)[1] if " " in line else line, []))
        else:  # a step after Examples belongs to nothing in these suites
            continue
    yield from flush()


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"<([^<>]+)>", lambda m: values.get(m.group(1), m.group(0)), text)


_KINDS = {"Boolean": "boolean", "String": "string", "Integer": "integer", "Float": "float", "Object": "object"}


def _typed(kind: str, text: str) -> Any:
    if kind == "Boolean":
        return text == "true"
    if kind == "Integer":
        return int(text)
    if kind == "Float":
        return float(text)
    if kind == "Object":
        return json.loads(text.replace('\\"', '"'))
    return text


class _World:
    def __init__(self, flags: FlagClient) -> None:
        self.flags = flags
        self.kind = "String"
        self.key = ""
        self.default: Any = None
        self.ctx: dict[str, Any] = {}
        self.result: Any = None


def _step(world: _World, text: str, table: list[list[str]]) -> None:
    for pattern, action in _STEPS:
        match = re.fullmatch(pattern, text)
        if match:
            action(world, *match.groups(), table) if table else action(world, *match.groups())
            return
    raise AssertionError(f"unsupported step: {text}")


def _flag(w: _World, kind: str, key: str, default: str) -> None:
    w.kind, w.key, w.default = kind, key, _typed(kind, default)


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise AssertionError(message)


def _value(w: _World, expected: str) -> None:
    want = _typed(w.kind, expected)
    _check(w.result.value == want, f"value {w.result.value!r} != {want!r}")


def _metadata(w: _World, table: list[list[str]]) -> None:
    for key, kind, value in table[1:]:
        got = w.result.metadata.get(key)
        _check(got == _typed(kind, value), f"metadata {key}: {got!r} != {value!r}")


def _ctx_value(w: _World, key: str, kind: str, value: str) -> None:
    w.ctx[key] = _typed(kind, value)


_STEPS: list[tuple[str, Callable[..., None]]] = [
    (r"an evaluator", lambda w: None),
    (r"a (\w+)-flag with key \"(.*)\" and a fallback value \"(.*)\"", _flag),
    (r"a context containing a targeting key with value \"(.*)\"", lambda w, v: w.ctx.__setitem__("targetingKey", v)),
    (
        r"a context containing a nested property with outer key \"(.*)\" and inner key \"(.*)\", with value \"(.*)\"",
        lambda w, o, i, v: w.ctx.setdefault(o, {}).__setitem__(i, v),
    ),
    (r"a context containing a key \"(.*)\", with type \"(.*)\" and with value \"(.*)\"", _ctx_value),
    (
        r"the flag was evaluated with details",
        lambda w: setattr(w, "result", w.flags.details(w.key, w.default, w.ctx, kind=_KINDS[w.kind])),
    ),
    (r"the resolved details value should be \"(.*)\"", _value),
    (r"the reason should be \"(.*)\"", lambda w, r: _check(w.result.reason == r, f"reason {w.result.reason} != {r}")),
    (
        r"the error-code should be \"(.*)\"",
        lambda w, c: _check(w.result.error_code == c, f"error code {w.result.error_code} != {c}"),
    ),
    (r"the resolved metadata should contain", _metadata),
    (r"the resolved metadata is empty", lambda w: _check(not w.result.metadata, f"metadata {w.result.metadata}")),
]


def run_flagd_evaluator(testbed: Path) -> SuiteResult:
    """Run flagd-testbed's ``evaluator/`` suite; ``testbed`` is the flagd-testbed directory."""
    doc = json.loads((testbed / "evaluator" / "flags" / "testkit-flags.json").read_text())
    flags = FlagClient(FlagRuntime(state=StoreState(1, parse_flag_set(doc))))
    result = SuiteResult()
    for feature in sorted((testbed / "evaluator" / "gherkin").glob("*.feature")):
        for case in gherkin_cases(feature):
            if case.tags & SKIP_TAGS:
                result.skipped += 1
                continue
            world = _World(flags)
            try:
                for text, table in case.steps:
                    _step(world, text, table)
            except AssertionError as exc:
                result.failures.append(f"{case.feature}: {case.name}: {exc}")
            else:
                result.passed += 1
    return result
