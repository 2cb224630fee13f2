"""Catalog rules on hand-built catalogs: each missing guardrail yields exactly its finding."""

from __future__ import annotations

from dataclasses import replace

from pavedroad.privacy import Catalog, Classification, Registry, check_catalog
from pavedroad.privacy.catalog_snapshot import Constraint, Function, Policy, Table, View

_Q = "(tenant_id = current_setting('app.tenant_id'::text, true))"
_GOOD = Table(
    "public",
    "things",
    ("tenant_id", "id", "name"),
    rls_enabled=True,
    rls_forced=True,
    owner="postgres",
    policies=(Policy("tenant_isolation", True, "ALL", _Q, _Q),),
    constraints=(Constraint("things_pkey", "primary key", ("tenant_id", "id")),),
)
_REGISTRY = Registry.from_tables({"things": {"tenant_id": "internal", "id": "internal", "name": "public"}}, "test")


def _catalog(
    *tables: Table, views: tuple[View, ...] = (), functions: tuple[Function, ...] = (), **role: bool
) -> Catalog:
    flags = {"exists": True, "rolsuper": False, "rolbypassrls": False, **role}
    return Catalog(tables, views, functions, "pavedroad_app", flags)


def _codes(catalog: Catalog, registry: Registry = _REGISTRY) -> list[str]:
    return [f.code for f in check_catalog(catalog, registry)]


def test_a_well_scoped_table_has_no_findings() -> None:
    assert _codes(_catalog(_GOOD)) == []


def test_each_missing_guardrail_is_reported() -> None:
    assert _codes(_catalog(replace(_GOOD, columns=("id", "name")))) == ["G101"]
    assert _codes(_catalog(replace(_GOOD, rls_enabled=False))) == ["G102"]
    assert _codes(_catalog(replace(_GOOD, rls_forced=False))) == ["G103"]
    permissive = Policy("p", False, "ALL", _Q, _Q)
    assert _codes(_catalog(replace(_GOOD, policies=(permissive,)))) == ["G104"]
    select_only = Policy("p", True, "SELECT", _Q, None)
    assert _codes(_catalog(replace(_GOOD, policies=(select_only,)))) == ["G104"]


def test_keys_must_lead_with_tenant_id() -> None:
    bad = (Constraint("things_name_key", "unique", ("name", "tenant_id")),)
    [finding] = check_catalog(_catalog(replace(_GOOD, constraints=bad)), _REGISTRY)
    assert finding.code == "G105"
    assert "(tenant_id, name)" in finding.fix


def test_unclassified_columns_are_reported_by_name() -> None:
    registry = Registry.from_tables({"things": {"tenant_id": "internal", "id": "internal"}}, "test")
    [finding] = check_catalog(_catalog(_GOOD), registry)
    assert (finding.code, finding.subject) == ("G106", "public.things.name")


def test_platform_schema_is_exempt_from_tenant_rules() -> None:
    meta = Table("pavedroad_meta", "schema_migrations", ("version",), False, False, "postgres")
    assert _codes(_catalog(_GOOD, meta)) == []


def test_views_must_be_security_invoker_and_not_read_platform_tables() -> None:
    views = (
        View("public", "v_ok", False, True, "postgres"),
        View("public", "v_definer", False, False, "postgres"),
        View("public", "v_mat", True, False, "postgres"),
        View("public", "v_meta", False, True, "postgres", frozenset({"pavedroad_meta"})),
    )
    assert _codes(_catalog(_GOOD, views=views)) == ["G107", "G108", "G109"]


def test_security_definer_functions_need_the_allow_list() -> None:
    functions = (Function("public", "f", True, "postgres"), Function("public", "g", False, "postgres"))
    catalog = _catalog(_GOOD, functions=functions)
    assert _codes(catalog) == ["G110"]
    assert check_catalog(catalog, _REGISTRY, definer_allow_list={"public.f"}) == []


def test_application_role_powers() -> None:
    assert _codes(_catalog(_GOOD, rolbypassrls=True)) == ["G112"]
    assert _codes(_catalog(_GOOD, rolsuper=True)) == ["G111"]
    owning = replace(_catalog(_GOOD), app_owned=("relation public.things",))
    assert _codes(owning) == ["G113"]


def test_findings_render_on_one_line_with_a_fix() -> None:
    [finding] = check_catalog(_catalog(replace(_GOOD, rls_forced=False)), _REGISTRY)
    line = finding.render()
    assert "\n" not in line
    assert line.startswith("G103 public.things:")
    assert "scope_to_tenant('things')" in line
    assert Classification.PERSONAL.rank > Classification.CONFIDENTIAL.rank
