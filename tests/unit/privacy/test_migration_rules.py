"""Migration safety rules: unsafe steps on existing tables are flagged; the same steps on a table
created in the same file are not."""

from __future__ import annotations

import pytest

from pavedroad.db.statements import split_statements
from pavedroad.privacy import MigrationFile, check_migration, check_migrations


def _codes(sql: str, **kw: object) -> list[str]:
    return [f.code for f in check_migration(MigrationFile("x:0002_change.sql", sql), **kw)]  # type: ignore[arg-type]


def test_splitter_ignores_semicolons_in_strings_bodies_and_comments() -> None:
    sql = """
    -- a comment; with a semicolon
    CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ select 1; $fn$;
    INSERT INTO t VALUES ('a;b', 'it''s');  /* block; comment */
    SELECT 1
    """
    statements = split_statements(sql)
    assert [s.text.split()[0] for s in statements] == ["CREATE", "INSERT", "SELECT"]
    assert statements[0].line == 3
    assert "'a;b'" in statements[1].text


def test_index_on_existing_table_needs_concurrently() -> None:
    assert _codes("CREATE INDEX jobs_title ON jobs (tenant_id, title);") == ["M201"]
    assert _codes("CREATE INDEX CONCURRENTLY jobs_title ON jobs (tenant_id, title);") == []


def test_index_on_table_created_in_the_same_file_is_safe() -> None:
    sql = "CREATE TABLE things (tenant_id text, id bigint); CREATE INDEX things_id ON things (tenant_id, id);"
    assert _codes(sql) == []


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE jobs ALTER COLUMN openings TYPE bigint",
        "ALTER TABLE jobs ADD COLUMN token uuid DEFAULT gen_random_uuid()",
        "ALTER TABLE jobs SET UNLOGGED",
        "VACUUM FULL jobs",
    ],
)
def test_table_rewrites_are_flagged(sql: str) -> None:
    assert "M202" in _codes(sql)


def test_constant_default_is_not_a_rewrite() -> None:
    assert _codes("ALTER TABLE jobs ADD COLUMN priority text NOT NULL DEFAULT 'normal'") == []
    assert _codes("ALTER TABLE jobs ADD COLUMN seen_at timestamptz DEFAULT now()") == []


def test_not_null_needs_a_safe_path() -> None:
    assert _codes("ALTER TABLE jobs ADD COLUMN owner text NOT NULL") == ["M203"]
    assert _codes("ALTER TABLE jobs ALTER COLUMN closed_at SET NOT NULL") == ["M203"]
    assert _codes("ALTER TABLE jobs ADD CONSTRAINT c CHECK (closed_at IS NOT NULL) NOT VALID") == []


def test_set_not_null_after_a_validated_check_in_an_earlier_file_is_safe() -> None:
    files = [
        MigrationFile("x:0002", "ALTER TABLE jobs ADD CONSTRAINT jobs_closed CHECK (closed_at IS NOT NULL) NOT VALID;"),
        MigrationFile("x:0003", "ALTER TABLE jobs VALIDATE CONSTRAINT jobs_closed;"),
        MigrationFile("x:0004", "ALTER TABLE jobs ALTER COLUMN closed_at SET NOT NULL;"),
    ]
    assert check_migrations(files) == []


def test_dropping_or_renaming_a_model_column_is_flagged() -> None:
    used = frozenset({("jobs", "title")})
    assert _codes("ALTER TABLE jobs DROP COLUMN title", model_columns=used) == ["M204"]
    assert _codes("ALTER TABLE jobs RENAME COLUMN title TO name", model_columns=used) == ["M204"]
    assert _codes("DROP TABLE jobs", model_columns=used) == ["M204"]
    assert _codes("ALTER TABLE jobs DROP COLUMN legacy", model_columns=used) == []


def test_findings_name_the_file_and_line_and_carry_a_fix() -> None:
    [finding] = check_migration(MigrationFile("recruiting:0002_x.sql", "\n\nCREATE INDEX i ON jobs (tenant_id);"))
    assert finding.subject == "recruiting:0002_x.sql:3"
    assert "CONCURRENTLY" in finding.render()
