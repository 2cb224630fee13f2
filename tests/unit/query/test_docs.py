"""Every ```pipeline example in docs/query.md compiles against the recruiting model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pavedroad.query import Compiler, CustomField, QueryError, TenantSchema
from pavedroad.recruiting.generator.custom import CATALOG
from pavedroad.recruiting.model import recruiting_model

DOC = Path(__file__).resolve().parents[3] / "docs" / "query.md"
EXAMPLES = re.findall(r"```pipeline\n(.*?)```", DOC.read_text(), flags=re.S)
SCHEMA = TenantSchema(
    "acme", 1, "Europe/Berlin", tuple(CustomField(f.entity, f.key, f.field_type, f.classification) for f in CATALOG)
)


@pytest.mark.parametrize("text", EXAMPLES)
def test_doc_example_compiles(text: str) -> None:
    params = {"since": "2024-01-01", "department": "Engineering"}
    for dialect in ("postgres", "duckdb", "clickhouse"):
        try:
            compiled = Compiler().compile(text, model=recruiting_model(), schema=SCHEMA, dialect=dialect, params=params)
        except QueryError as exc:  # ClickHouse has no lateral join: it refuses outer-row aggregates, saying so
            if dialect == "clickhouse" and exc.code == "Q105" and "lateral" in exc.message:
                continue
            raise
        assert compiled.params["tenant"] == "acme"


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 10
