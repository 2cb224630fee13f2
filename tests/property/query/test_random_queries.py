"""Random valid queries over both models compile to scoped SQL; random bytes and mutations only ever
produce structured errors."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pavedroad.query import Compiler, QueryError, QueryLimitError, SemanticModel, TenantSchema, load_model
from pavedroad.recruiting.model import recruiting_model
from tests.property.query.strategies import valid_query

LIBRARY = Path(__file__).resolve().parents[2] / "unit" / "query" / "models" / "library.yaml"
SCHEMA = TenantSchema("acme")
GOLDEN = sorted((Path(__file__).resolve().parents[2] / "golden" / "query").glob("*.case"))
SEEDS = [c.read_text().split("--- query\n", 1)[1].split("\n--- ", 1)[0] for c in GOLDEN]


@cache
def library() -> SemanticModel:
    return load_model(LIBRARY)


def _compile(text: str, model: SemanticModel, dialect: str = "postgres") -> object:
    return Compiler().compile(text, model=model, schema=SCHEMA, dialect=dialect)  # type: ignore[arg-type]


def _structured_error(text: str, dialect: str) -> QueryError | QueryLimitError | None:
    """The compile error, if any; anything that is not a structured query error propagates (and fails)."""
    try:
        _compile(text, recruiting_model(), dialect)
    except (QueryError, QueryLimitError) as exc:
        return exc
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_valid_queries_compile_and_are_scoped(data: st.DataObject) -> None:
    """Every generated query compiles on every dialect (the verify pass has checked the scoping); ClickHouse
    refuses only what needs a lateral join, which it lacks, with a structured error."""
    model = recruiting_model() if data.draw(st.sampled_from(["recruiting", "library"])) == "recruiting" else library()
    text = data.draw(valid_query(model))
    for dialect in ("postgres", "duckdb", "clickhouse"):
        try:
            compiled = _compile(text, model, dialect)
        except QueryError as exc:
            if dialect == "clickhouse" and exc.code == "Q105" and "lateral" in exc.message:
                continue
            raise
        assert compiled.params["tenant"] == "acme"  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_give_only_structured_errors(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    error = _structured_error(text, "postgres")
    assert error is None or error.code.startswith("Q")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_queries_give_only_structured_errors(seed: str, data: st.DataObject) -> None:
    """Insert, delete or replace characters in real queries: never a crash."""
    text = seed
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["ins", "del", "rep"]))
        ch = data.draw(st.sampled_from(list("|()=.,$\"'#-+*/ abcxyz019\n")))
        text = text[:i] + ch + text[i:] if op == "ins" else text[:i] + (ch if op == "rep" else "") + text[i + 1 :]
    error = _structured_error(text, data.draw(st.sampled_from(["postgres", "duckdb", "clickhouse"])))
    assert error is None or error.render().startswith("Q")
