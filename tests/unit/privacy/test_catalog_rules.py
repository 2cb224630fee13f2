"""Catalog rules on hand-built catalogs: each missing guardrail yields exactly its finding."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pavedroad.privacy import Catalog, Classification, Registry, check_catalog, check_tenant_setting_sources
from pavedroad.privacy.catalog_snapshot import Constraint, Function, Policy, Table, View

_Q = "(tenant_id = ( SELECT pavedroad_meta.current_tenant() AS current_tenant))"
_FORGEABLE = "(tenant_id = current_setting('app.tenant_id'::text, true))"
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


def test_foreign_keys_must_stay_inside_the_tenant() -> None:
    """Distributable by tenant_id (Citus): a foreign key pairs tenant_id with a tenant table's tenant_id."""
    parent = replace(_GOOD, name="parents")
    registry = _REGISTRY.merge(Registry.from_tables({"parents": dict.fromkeys(_GOOD.columns, "internal")}, "test"))
    paired = Constraint("things_parent_fkey", "foreign key", ("tenant_id", "id"), "public.parents", ("tenant_id", "id"))
    assert _codes(_catalog(parent, replace(_GOOD, constraints=(*_GOOD.constraints, paired))), registry) == []
    crossed = replace(paired, ref_columns=("id", "tenant_id"))  # tenant_id paired with the parent's id
    platform = replace(paired, references="pavedroad_meta.flags")
    for bad in (crossed, platform):
        findings = check_catalog(_catalog(parent, replace(_GOOD, constraints=(*_GOOD.constraints, bad))), registry)
        assert [(f.code, f.subject) for f in findings] == [("G118", "public.things")]
    [finding] = check_catalog(_catalog(parent, replace(_GOOD, constraints=(*_GOOD.constraints, crossed))), registry)
    assert "REFERENCES public.parents (tenant_id, id)" in finding.fix


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


def test_a_policy_on_the_forgeable_setting_is_refused() -> None:
    """The shape every tenant policy had before the tenant was signed: forgeable with set_config()."""
    old = Policy("tenant_isolation", True, "ALL", _FORGEABLE, _FORGEABLE)
    assert _codes(_catalog(replace(_GOOD, policies=(old,)))) == ["G104", "G114"]
    extra = Policy("sneaky", False, "SELECT", f"({_Q} OR {_FORGEABLE})", None)
    assert _codes(_catalog(replace(_GOOD, policies=(*_GOOD.policies, extra)))) == ["G114"]


def test_the_tenant_signing_state_is_out_of_the_app_roles_reach() -> None:
    key = Table("pavedroad_meta", "tenant_signing_key", ("one", "ikey", "okey"), False, False, "postgres")
    definers = (
        Function("pavedroad_meta", "enter_tenant", True, "postgres", True),
        Function("pavedroad_meta", "current_tenant", True, "postgres", True),
        Function("pavedroad_meta", "tenant_signature", False, "postgres", False),
    )
    assert _codes(_catalog(_GOOD, key, functions=definers)) == []
    readable = replace(key, app_privileges=frozenset({"SELECT"}))
    assert _codes(_catalog(_GOOD, readable, functions=definers)) == ["G115"]
    signer = (*definers[:2], replace(definers[2], app_can_execute=True))
    assert _codes(_catalog(_GOOD, key, functions=signer)) == ["G115"]
    invoker = (replace(definers[0], security_definer=False), *definers[1:])
    assert _codes(_catalog(_GOOD, key, functions=invoker)) == ["G115"]


def test_server_log_settings_that_write_values_are_reported() -> None:
    safe = {"log_min_messages": "log", "log_min_error_statement": "panic", "log_error_verbosity": "terse"}
    assert _codes(replace(_catalog(_GOOD), server_settings=safe)) == []
    today = {**safe, "log_min_messages": "warning", "log_min_error_statement": "error"}
    findings = check_catalog(replace(_catalog(_GOOD), server_settings=today), _REGISTRY)
    assert [(f.code, f.subject) for f in findings] == [
        ("G116", "server setting log_min_error_statement"),
        ("G116", "server setting log_min_messages"),
    ]


def test_code_that_sets_the_tenant_setting_itself_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text('"""Mentions set_config(\'app.tenant_id\', ...) in prose only."""\n')
    (tmp_path / "bad.py").write_text(
        'def f(conn):\n    conn.execute("select set_config(\'app.tenant_id\', %s, true)", ("x",))\n'
    )
    [finding] = check_tenant_setting_sources([tmp_path])
    assert (finding.code, finding.subject) == ("G117", f"{tmp_path / 'bad.py'}:2")
