"""Golden files: each ``*.case`` holds a query and the expected SQL per dialect, or the rendered error.

Format (sections start with ``--- <name>``)::

    model: recruiting            (or library: tests/unit/query/models/library.yaml)
    --- query
    applications | group status | aggregate n = count()
    --- postgres
    SELECT ...
    --- duckdb
    SELECT ...

A case with ``--- error`` expects that rendered error instead. ``make golden-update`` (which sets
``PAVEDROAD_GOLDEN_UPDATE=1``) rewrites the expected sections from the compiler's current output.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pavedroad.query import Compiler, CustomField, QueryError, SemanticModel, TenantSchema, load_model
from pavedroad.recruiting.model import recruiting_model

HERE = Path(__file__).parent
CASES = sorted(HERE.glob("*.case"))
UPDATE = os.environ.get("PAVEDROAD_GOLDEN_UPDATE") == "1"
SCHEMA = TenantSchema(
    "acme", 7, "Europe/Berlin",
    (CustomField("applications", "expected_salary", "number", "confidential"),
     CustomField("candidates", "seniority", "single_select", "internal"),
     CustomField("candidates", "skills", "multi_select", "internal"),
     CustomField("candidates", "secret_score", "number", "sensitive")),
)  # fmt: skip


@cache
def model(name: str) -> SemanticModel:
    if name == "recruiting":
        return recruiting_model()
    return load_model(HERE.parents[1] / "unit" / "query" / "models" / f"{name}.yaml")


def parse_case(text: str) -> tuple[str, dict[str, str]]:
    header, _, rest = text.partition("--- ")
    name = "recruiting"
    params = "{}"
    for line in header.splitlines():
        if line.startswith("model:"):
            name = line.split(":", 1)[1].strip()
        if line.startswith("params:"):
            params = line.split(":", 1)[1].strip()
    sections: dict[str, str] = {}
    for chunk in ("--- " + rest).split("\n--- "):
        title, _, body = chunk.removeprefix("--- ").partition("\n")
        sections[title.strip()] = body.strip("\n")
    sections["params"] = params
    return name, sections


def render(name: str, query: str, dialect: str, params: dict[str, Any]) -> str:
    params = dict(params)
    cursor = params.pop("__cursor", None)  # a page cursor (the previous page's last sort key)
    try:
        compiled = Compiler().compile(
            query,
            model=model(name),
            schema=SCHEMA,
            dialect=dialect,
            params=params,
            cursor=cursor,  # type: ignore[arg-type]
        )
    except QueryError as exc:
        return exc.render()
    return compiled.sql


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    """The compiler's output for each golden query equals the checked-in expectation."""
    name, sections = parse_case(path.read_text())
    query = sections["query"]
    params = json.loads(sections.pop("params"))
    expected_keys = [k for k in sections if k != "query"]
    actual = {}
    pg = render(name, query, "postgres", params)
    if pg.startswith("Q"):
        actual["error"] = pg
    else:
        actual["postgres"] = pg
        actual["duckdb"] = render(name, query, "duckdb", params)
    if UPDATE:
        header = path.read_text().partition("--- ")[0]
        body = "\n".join(f"--- {k}\n{v}" for k, v in {"query": query, **actual}.items())
        path.write_text(f"{header}{body}\n")
        return
    assert sorted(expected_keys) == sorted(actual), f"{path.name}: expected sections {expected_keys}"
    for key, value in actual.items():
        assert value == sections[key], f"{path.name} [{key}]"


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20
