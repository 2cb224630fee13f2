"""Golden files for ``explain``: each ``*.case`` holds a query, the compile-side explanation (``--- explain``:
passes, fields, policy, joins, tenant predicates, SQL; pass times left out) and, optionally, the database
plan on the plan-check dataset (``--- plan``: estimated rows and costs; actual rows and times masked),
which ``tests/integration/query/test_tools_plans.py`` checks against a real server.

``PAVEDROAD_GOLDEN_UPDATE=1`` rewrites the sections from the current output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pavedroad.query import CustomField, TenantSchema
from pavedroad.querytools import explain_trace, trace_compile
from pavedroad.querytools.render import explain_text
from pavedroad.recruiting.model import recruiting_model

HERE = Path(__file__).parent
CASES = sorted(HERE.glob("*.case"))
UPDATE = os.environ.get("PAVEDROAD_GOLDEN_UPDATE") == "1"
REFRESH = (
    "PAVEDROAD_GOLDEN_UPDATE=1 .venv/bin/pytest -q tests/golden/query/explain"
    " tests/integration/query/test_tools_plans.py"
)
SCHEMA = TenantSchema(
    "acme", 7, "Europe/Berlin", (CustomField("applications", "expected_salary", "number", "confidential"),)
)


def read_case(path: Path) -> tuple[str, dict[str, str]]:
    """(header comment, sections by name)."""
    header, _, rest = path.read_text().partition("--- ")
    sections: dict[str, str] = {}
    for chunk in ("--- " + rest).split("\n--- "):
        title, _, body = chunk.removeprefix("--- ").partition("\n")
        sections[title.strip()] = body.rstrip("\n") + "\n"
    return header, sections


def write_case(path: Path, header: str, sections: dict[str, str]) -> None:
    path.write_text(header + "".join(f"--- {k}\n{v.rstrip()}\n" for k, v in sections.items()))


def compile_side(query: str) -> str:
    trace = trace_compile(query.strip(), model=recruiting_model(), schema=SCHEMA)
    return explain_text(explain_trace(trace, query=query, tenant="acme"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_explain_matches_golden(path: Path) -> None:
    header, sections = read_case(path)
    got = compile_side(sections["query"])
    if UPDATE:
        sections["explain"] = got
        write_case(path, header, sections)
        return
    assert "explain" in sections, f"{path.name} has no '--- explain' section: run with PAVEDROAD_GOLDEN_UPDATE=1"
    assert got == sections["explain"], f"{path.name}: explain changed; if intended: {REFRESH}"
