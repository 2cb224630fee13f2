"""The catalog check on a real migrated database: the real schema passes; deliberately bad migrations
(an unscoped table, an unclassified column, an insecure view, a definer function, a bypassing role) fail
with one finding each, naming the object and the fix."""

from __future__ import annotations

from pathlib import Path

from pavedroad.cli.guard import stack_registry
from pavedroad.db import MigrationSource, source_from_dir
from pavedroad.privacy import Registry, run_catalog_check
from pavedroad.stack import all_migration_sources
from pavedroad.testing import TestServers


def _extra(tmp_path: Path, sql: str) -> list[MigrationSource]:
    (tmp_path / "0001_bad.sql").write_text(sql)
    return [*all_migration_sources(), source_from_dir("bad", tmp_path)]


def _registry_with(tables: dict[str, dict[str, object]]) -> Registry:
    return stack_registry().merge(Registry.from_tables(tables, "test"))


def test_the_real_schema_passes(servers: TestServers) -> None:
    findings = run_catalog_check(servers.admin_url, all_migration_sources(), stack_registry())
    assert [f.render() for f in findings] == []


def test_the_real_schema_is_scoped_keyed_and_safe(servers: TestServers) -> None:
    """Every rule but classification holds on the real schema whatever the model's state."""
    findings = run_catalog_check(servers.admin_url, all_migration_sources(), stack_registry())
    assert [f.render() for f in findings if f.code != "G106"] == []


def test_an_unscoped_table_fails(servers: TestServers, tmp_path: Path) -> None:
    sources = _extra(tmp_path, "CREATE TABLE notes (id bigint PRIMARY KEY, body text);")
    registry = _registry_with({"notes": {"id": "internal", "body": "internal"}})
    codes = {f.code for f in run_catalog_check(servers.admin_url, sources, registry) if f.subject == "public.notes"}
    assert codes == {"G101", "G102", "G103", "G104", "G105"}


def test_a_scoped_table_with_an_unclassified_column_fails(servers: TestServers, tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE notes (tenant_id text NOT NULL, id bigint, body text, PRIMARY KEY (tenant_id, id));"
        " SELECT pavedroad_meta.scope_to_tenant('notes');"
    )
    registry = _registry_with({"notes": {"tenant_id": "internal", "id": "internal"}})
    findings = [
        f
        for f in run_catalog_check(servers.admin_url, _extra(tmp_path, sql), registry)
        if f.subject.startswith("public.notes")
    ]
    assert [(f.code, f.subject) for f in findings] == [("G106", "public.notes.body")]


def test_insecure_views_definer_functions_and_role_powers_fail(servers: TestServers, tmp_path: Path) -> None:
    sql = """
    CREATE VIEW open_jobs AS SELECT tenant_id, id FROM jobs WHERE status = 'open';
    CREATE VIEW open_jobs_ok WITH (security_invoker = true) AS SELECT tenant_id, id FROM jobs;
    CREATE FUNCTION peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ select count(*) from jobs $$;
    CREATE TABLE unique_slugs (tenant_id text NOT NULL, slug text NOT NULL, UNIQUE (slug, tenant_id));
    SELECT pavedroad_meta.scope_to_tenant('unique_slugs');
    ALTER ROLE pavedroad_app BYPASSRLS;
    """
    registry = _registry_with({"unique_slugs": {"tenant_id": "internal", "slug": "internal"}})
    findings = run_catalog_check(servers.admin_url, _extra(tmp_path, sql), registry)
    got = {(f.code, f.subject) for f in findings if f.code != "G106"}
    try:
        assert got == {
            ("G108", "public.open_jobs"),
            ("G110", "public.peek()"),
            ("G105", "public.unique_slugs"),
            ("G112", "pavedroad_app"),
        }
    finally:
        # Roles are cluster-wide: put the application role back for the rest of the session.
        import psycopg

        with psycopg.connect(servers.admin_url, autocommit=True) as conn:
            conn.execute("ALTER ROLE pavedroad_app NOBYPASSRLS")


def test_a_forgeable_policy_and_a_reachable_signer_fail(servers: TestServers, tmp_path: Path) -> None:
    sql = """
    CREATE TABLE notes (tenant_id text NOT NULL, id bigint, PRIMARY KEY (tenant_id, id));
    SELECT pavedroad_meta.scope_to_tenant('notes');
    DROP POLICY tenant_isolation ON notes;
    CREATE POLICY tenant_isolation ON notes AS RESTRICTIVE FOR ALL TO PUBLIC
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
    GRANT EXECUTE ON FUNCTION pavedroad_meta.tenant_signature(text) TO pavedroad_app;
    GRANT SELECT ON pavedroad_meta.tenant_signing_key TO pavedroad_app;
    """
    registry = _registry_with({"notes": {"tenant_id": "internal", "id": "internal"}})
    findings = run_catalog_check(servers.admin_url, _extra(tmp_path, sql), registry)
    assert {(f.code, f.subject) for f in findings} == {
        ("G104", "public.notes"),
        ("G114", "public.notes policy tenant_isolation"),
        ("G115", "pavedroad_meta.tenant_signature()"),
        ("G115", "pavedroad_meta.tenant_signing_key"),
    }
