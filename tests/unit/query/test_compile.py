"""Compiler behaviour: tenant scope, policy, cache keys, limits, verification."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlglot import exp

from pavedroad.query import (
    PASSES,
    Classification,
    Compiler,
    Context,
    CustomField,
    FieldUse,
    Limits,
    QueryError,
    QueryLimitError,
    QueryState,
    TenantSchema,
    UnsafeQuery,
    load_model,
    run_passes,
)
from pavedroad.query.passes.scope_tenant import scope_tenant
from pavedroad.query.passes.verify import check_sql
from pavedroad.recruiting.model import recruiting_model

SCHEMA = TenantSchema("acme", 3, "UTC", (CustomField("applications", "expected_salary", "number", "confidential"),))
LIBRARY = Path(__file__).parent / "models" / "library.yaml"


def compile_(text: str, **kw: object) -> object:
    return Compiler().compile(text, model=recruiting_model(), schema=SCHEMA, **kw)  # type: ignore[arg-type]


def test_every_table_is_scoped_and_every_value_is_a_parameter() -> None:
    c = compile_('applications | where job.title = "x" and any(offers) | aggregate n = count(interviews)')
    assert c.sql.count("tenant_id = %(tenant)s") == 4  # type: ignore[attr-defined]
    assert "'" not in c.sql  # type: ignore[attr-defined]
    assert c.params["tenant"] == "acme"  # type: ignore[attr-defined]


def test_verify_refuses_sql_when_scope_tenant_is_skipped() -> None:
    """Fail closed: without the scoping pass, nothing is emitted."""
    passes = tuple(p for p in PASSES if p is not scope_tenant)
    ctx = Context(recruiting_model(), SCHEMA)
    with pytest.raises(UnsafeQuery, match="not scoped"):
        run_passes(QueryState("applications | select id, t = job.title"), ctx, passes)


def test_verify_refuses_an_inline_literal() -> None:
    tree = exp.select(exp.Literal.string("x")).from_("applications AS a")
    tree = tree.where(exp.EQ(this=exp.column("tenant_id", "a"), expression=exp.Placeholder(this="tenant")))
    check_sql(
        tree.copy().select(exp.Placeholder(this="p"), append=False), {"applications": "tenant_id"}
    )  # scoped: fine
    with pytest.raises(UnsafeQuery, match="literal"):
        check_sql(tree, {"applications": "tenant_id"})


def test_verify_refuses_a_predicate_on_another_alias() -> None:
    tree = exp.select("a.id").from_("applications AS a").join("jobs AS j", on="j.id = a.job_id")
    tree = tree.where(exp.EQ(this=exp.column("tenant_id", "a"), expression=exp.Placeholder(this="tenant")))
    with pytest.raises(UnsafeQuery, match="jobs"):
        check_sql(tree, {"applications": "tenant_id", "jobs": "tenant_id"})


def test_sensitive_fields_read_as_unknown_and_are_not_suggested() -> None:
    with pytest.raises(QueryError) as err:
        compile_("candidates | group eeoc.gender | aggregate n = count()")
    assert err.value.code == "Q104"
    assert "gender" not in (err.value.hint or "")


class NoPersonalData:
    """A policy the privacy layer might install: interviewers may not use personal fields."""

    version = "test-1"

    def allows(self, role: str, field: FieldUse) -> bool:
        limit = Classification.confidential if role == "interviewer" else Classification.personal
        return field.classification <= limit


def test_a_policy_port_decides_per_role_and_derived_fields_inherit_classification() -> None:
    text = 'applications | select id, who = concat(candidate.first_name, " ", candidate.last_name)'
    ok = compile_(text, role="recruiter", policy=NoPersonalData())
    assert [c.classification for c in ok.columns] == ["internal", "personal"]  # type: ignore[attr-defined]
    with pytest.raises(QueryError) as err:
        compile_(text, role="interviewer", policy=NoPersonalData())
    assert err.value.code == "Q104"


def test_cache_hits_on_new_literal_values_and_misses_on_new_versions() -> None:
    compiler = Compiler()
    kw = {"model": recruiting_model(), "schema": SCHEMA}
    first = compiler.compile('applications | where status = "hired" | take 5', **kw)  # type: ignore[arg-type]
    again = compiler.compile("applications  | where status = 'active' | take 7  # other values", **kw)  # type: ignore[arg-type]
    assert (first.cache_hit, again.cache_hit) == (False, True)
    assert again.sql == first.sql
    assert (again.params["l0"], again.params["limit"]) == ("active", 7)
    bumped = replace(SCHEMA, schema_version=4)
    assert not compiler.compile(
        'applications | where status = "x" | take 1', model=recruiting_model(), schema=bumped
    ).cache_hit
    assert not compiler.compile('applications | where status = "x" | take 1', role="recruiter", **kw).cache_hit  # type: ignore[arg-type]
    assert not compiler.compile('applications | where status = "x" | take 1', dialect="duckdb", **kw).cache_hit  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "limits", "code"),
    [
        ("applications | take 5" + " " * 50, Limits(max_length=20), "Q401"),
        ("applications | where " + "abs(" * 30 + "id" + ")" * 30 + " > 1", Limits(max_depth=10), "Q402"),
        ("applications | where " + "not " * 3000 + "id > 1", Limits(), "Q402"),
        ("applications | select a = job.department.name, b = source.name, c = stage.name", Limits(max_joins=2), "Q403"),
        ("applications | select id | take 50", Limits(max_rows=10), "Q404"),
    ],
)
def test_limits_are_clear_errors(text: str, limits: Limits, code: str) -> None:
    with pytest.raises(QueryLimitError) as err:
        compile_(text, limits=limits)
    assert err.value.code == code
    assert err.value.status == 422


def test_parameters_are_typed_from_their_use() -> None:
    c = compile_("applications | where applied_at >= $since | take $n", params={"since": "2024-01-01", "n": 3})
    assert c.params["limit"] == 3  # type: ignore[attr-defined]
    with pytest.raises(QueryError) as err:
        compile_("applications | where id > $x", params={"x": "seven"})
    assert err.value.code == "Q108"
    with pytest.raises(QueryError) as err:
        compile_("applications | where id > $x")
    assert err.value.code == "Q107"


def test_custom_fields_overlay_by_schema_version() -> None:
    c = compile_("applications | where custom.expected_salary > 1000 | aggregate n = count()")
    assert "->>" in c.sql  # type: ignore[attr-defined]
    with pytest.raises(QueryError):
        compile_("applications | where custom.expected_salary > 1000", model=recruiting_model()) if False else (
            Compiler().compile("applications | where custom.nope > 1", model=recruiting_model(), schema=SCHEMA)
        )


def test_nothing_is_recruiting_specific() -> None:
    """The library model compiles with its own tenant column and string keys."""
    model = load_model(LIBRARY)
    c = Compiler().compile("books | group author.name | aggregate n = count(loans)", model=model,
                           schema=TenantSchema("org1"))  # fmt: skip
    assert "t0.org = %(tenant)s" in c.sql
    assert "tenant_id" not in c.sql


def test_text_the_literal_scan_misreads_still_binds_the_parsers_values() -> None:
    """`90days` (no space) is one literal to the parser but none to the cache's scan: not cached, still right."""
    compiler = Compiler()
    kw = {"model": recruiting_model(), "schema": SCHEMA}
    for _ in range(2):
        c = compiler.compile("applications | where applied_at > now() - 90days | take 3", **kw)  # type: ignore[arg-type]
        assert not c.cache_hit
        assert "90 day" in c.params.values()


@pytest.mark.parametrize(
    ("sort", "ok"),
    [
        ("-applied_at", True),
        ("-days_to_hire", False),
        ("-coalesce(hired_at, applied_at)", True),
        ("job.title", True),
        ("source.kind", False),  # a required field behind an optional relation: the left join pads with nulls
    ],
)
def test_paging_refuses_sort_keys_that_can_be_null(sort: str, ok: bool) -> None:
    text = f"applications | select id | sort {sort} | page size 10"
    if ok:
        compile_(text)
        return
    with pytest.raises(QueryError) as err:
        compile_(text)
    assert err.value.code == "Q303"


@pytest.mark.parametrize(
    ("sort", "postgres", "duckdb"),
    [
        ("-applied_at", '"applied_at" DESC', '"applied_at" DESC'),
        ("applied_at", '"applied_at" ASC', '"applied_at" ASC'),
        ("-hired_at", '"hired_at" DESC NULLS LAST', '"hired_at" DESC'),
        ("-source.kind", '"source_kind" DESC NULLS LAST', '"source_kind" DESC'),
    ],
)
def test_nulls_sort_last_and_never_null_keys_keep_the_engine_default(sort: str, postgres: str, duckdb: str) -> None:
    """Nulls sort last on both engines; a never-null key spells no null order, so a descending sort can be
    served by a backward index scan instead of a sort of every row."""
    field = sort.lstrip("-")
    text = f"applications | select id, {field.replace('.', '_')} = {field} | sort {sort} | take 5"
    for dialect, expected in (("postgres", postgres), ("duckdb", duckdb)):
        sql = compile_(text, dialect=dialect).sql  # type: ignore[attr-defined]
        assert f"ORDER BY {expected} LIMIT" in sql, sql
