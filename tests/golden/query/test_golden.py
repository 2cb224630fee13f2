"""Golden files: each ``*.case`` holds a query and the expected SQL per dialect, or the rendered error.

Format (sections start with ``--- <name>``)::

    model: recruiting            (or library: tests/unit/query/models/library.yaml; tpch: tests/tpch/model.yaml)
    --- query
    applications | group status | aggregate n = count()
    --- postgres
    SELECT ...
    --- duckdb
    SELECT ...

A case with ``--- error`` expects that rendered error instead. An error with a hint also carries
``--- fixed``: the query with the hint followed, which must compile (headers: ``fixed-params:`` for values
the hint asks for; ``role:`` compiles as that role; ``limits:`` lowers ``Limits`` fields, as JSON).
``make golden-update`` (which sets ``PAVEDROAD_GOLDEN_UPDATE=1``) rewrites the expected sections from the
compiler's current output and keeps ``fixed`` as written.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pavedroad.query import (
    Compiler,
    CustomField,
    Dialect,
    Limits,
    QueryError,
    QueryLimitError,
    SemanticModel,
    TenantSchema,
    load_model,
)
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
    if name == "tpch":
        return load_model(HERE.parents[1] / "tpch" / "model.yaml")
    return load_model(HERE.parents[1] / "unit" / "query" / "models" / f"{name}.yaml")


HEADERS = ("model", "params", "fixed-params", "role", "limits")
SECTIONS = ("query", "postgres", "duckdb", "error", "fixed")


def parse_case(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """The header values (``model``, ``params``, ``fixed-params``, ``role``) and the sections of a case."""
    header, _, rest = text.partition("--- ")
    meta = {"model": "recruiting", "params": "{}", "role": "admin", "limits": "{}"}
    for line in header.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in HEADERS:
            meta[key] = value.strip()
    meta.setdefault("fixed-params", meta["params"])
    sections: dict[str, str] = {}
    for chunk in ("--- " + rest).split("\n--- "):
        title, _, body = chunk.removeprefix("--- ").partition("\n")
        sections[title.strip()] = body.strip("\n")
    return meta, sections


def render(query: str, dialect: Dialect, params: dict[str, Any], meta: dict[str, str]) -> str:
    """The compiled SQL, or the rendered error; ``meta`` holds the case's headers (model, role, limits)."""
    params = dict(params)
    cursor = params.pop("__cursor", None)  # a page cursor (the previous page's last sort key)
    try:
        compiled = Compiler().compile(
            query,
            model=model(meta["model"]),
            schema=SCHEMA,
            role=meta["role"],
            dialect=dialect,
            limits=Limits(**json.loads(meta["limits"])),
            params=params,
            cursor=cursor,  # type: ignore[arg-type]
        )
    except (QueryError, QueryLimitError) as exc:
        return exc.render()
    return compiled.sql


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    """The compiler's output for each golden query equals the checked-in expectation."""
    meta, sections = parse_case(path.read_text())
    assert set(sections) <= set(SECTIONS), f"{path.name}: unknown sections {set(sections) - set(SECTIONS)}"
    query = sections["query"]
    params = json.loads(meta["params"])
    expected_keys = [k for k in sections if k not in ("query", "fixed")]
    actual = {}
    pg = render(query, "postgres", params, meta)
    if pg.startswith("Q"):
        actual["error"] = pg
    else:
        actual["postgres"] = pg
        actual["duckdb"] = render(query, "duckdb", params, meta)
    if UPDATE:
        header = path.read_text().partition("--- ")[0]
        kept = {"fixed": sections["fixed"]} if "fixed" in sections else {}
        body = "\n".join(f"--- {k}\n{v}" for k, v in {"query": query, **actual, **kept}.items())
        path.write_text(f"{header}{body}\n")
        return
    assert sorted(expected_keys) == sorted(actual), f"{path.name}: expected sections {expected_keys}"
    for key, value in actual.items():
        assert value == sections[key], f"{path.name} [{key}]"


ERRORS_WITH_HINTS = [p for p in CASES if "\n  hint: " in parse_case(p.read_text())[1].get("error", "")]


@pytest.mark.parametrize("path", ERRORS_WITH_HINTS, ids=[p.stem for p in ERRORS_WITH_HINTS])
def test_following_the_hint_leads_to_a_query_that_compiles(path: Path) -> None:
    """Every hint is tested by applying it: ``--- fixed`` is the query with the hint followed."""
    meta, sections = parse_case(path.read_text())
    assert "fixed" in sections, f"{path.name}: an error with a hint needs a '--- fixed' section (the hint applied)"
    changed = sections["fixed"] != sections["query"] or meta["fixed-params"] != meta["params"]
    assert changed, f"{path.name}: the fixed case is the failing one"
    params = json.loads(meta["fixed-params"])
    for dialect in ("postgres", "duckdb"):
        out = render(sections["fixed"], dialect, params, meta)
        assert not out.startswith("Q"), f"{path.name}: the fixed query fails ({dialect}):\n{out}"


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20
    assert len(ERRORS_WITH_HINTS) >= 30
