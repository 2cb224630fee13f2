"""The tenant-isolation rules the catalog must satisfy, as a table of small pure checks.

Guarantee: ``check_catalog`` returns one ``Finding`` per violation — each with a stable code, the object,
what is wrong and the fix — for tenant tables in schema ``public``: a ``tenant_id`` column; row-level
security ENABLE + FORCE; the RESTRICTIVE tenant policy (all commands, USING and WITH CHECK on the
unforgeable ``pavedroad_meta.current_tenant()``) and no policy trusting the forgeable setting
``app.tenant_id``; every primary key, unique constraint/index, exclusion constraint and foreign key
leading with ``tenant_id``; every foreign key pairing its ``tenant_id`` with the ``tenant_id`` of another
tenant table (so no row can point into another tenant, and every table can be distributed by
``tenant_id`` on Citus, co-located);
every column classified; views ``security_invoker`` and no materialized views; ``SECURITY DEFINER``
functions only from the allow-list; the application role owning nothing, without SUPERUSER or BYPASSRLS,
and unable to reach the tenant-signing key, the session registry or the signer; the server's log
settings keeping values out of its log. Platform tables in ``pavedroad_meta`` are exempt from the tenant
rules, but no view on a tenant data path (schema ``public``) may read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from pavedroad.privacy.catalog_snapshot import META_SCHEMA, TENANT_SCHEMA, Catalog, Table
from pavedroad.privacy.findings import Finding
from pavedroad.privacy.registry import Registry

__all__ = ["DEFAULT_DEFINER_ALLOW_LIST", "check_catalog"]

# SECURITY DEFINER functions run with their owner's rights and so can step around RLS. Add "schema.name"
# here only with a reason in a comment, e.g. a narrowly scoped lookup.
DEFAULT_DEFINER_ALLOW_LIST: frozenset[str] = frozenset(
    {
        # Sets the transaction's tenant and signs it; refuses a caller without the connection's session key.
        "pavedroad_meta.enter_tenant",
        # Returns the signed tenant or NULL; reads the signing key the application role cannot read.
        "pavedroad_meta.current_tenant",
    }
)

_TENANT_QUAL = re.compile(
    r"tenant_id\s*=\s*\(\s*SELECT\s+pavedroad_meta\.current_tenant\(\)"
    r"|\(\s*SELECT\s+pavedroad_meta\.current_tenant\(\)[^)]*\)\s*=\s*\(?tenant_id",
    re.IGNORECASE,
)
_FORGEABLE = re.compile(r"current_setting\('app\.tenant_id'", re.IGNORECASE)

# What only the definer functions may touch: the signing key, the session registry, the signer.
_SIGNING_TABLES = frozenset({"tenant_signing_key", "tenant_sessions"})
_SIGNER = "tenant_signature"
_TENANT_DEFINERS = frozenset({"enter_tenant", "current_tenant"})

# The server's log settings that keep statements, DETAIL lines and bind values out of its log (see
# ``db.embedded.LOG_SETTINGS``), each with the values that are safe.
SAFE_LOG_SETTINGS: dict[str, frozenset[str]] = {
    "log_min_messages": frozenset({"log", "fatal", "panic"}),
    "log_min_error_statement": frozenset({"panic"}),
    "log_error_verbosity": frozenset({"terse"}),
    "log_statement": frozenset({"none"}),
    "log_min_duration_statement": frozenset({"-1"}),
    "log_min_duration_sample": frozenset({"-1"}),
    "log_parameter_max_length": frozenset({"0"}),
    "log_parameter_max_length_on_error": frozenset({"0"}),
}


def _tenant_tables(catalog: Catalog) -> Iterator[Table]:
    return (t for t in catalog.tables if t.schema == TENANT_SCHEMA)


def _tenant_column(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    for t in _tenant_tables(catalog):
        if "tenant_id" not in t.columns:
            yield Finding(
                "G101",
                f"{t.schema}.{t.name}",
                "tenant table has no tenant_id column",
                "add `tenant_id text NOT NULL` leading every key, or move platform tables to pavedroad_meta",
            )


def _row_security(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    for t in _tenant_tables(catalog):
        subject = f"{t.schema}.{t.name}"
        fix = f"end the migration with `select pavedroad_meta.scope_to_tenant('{t.name}');`"
        if not t.rls_enabled:
            yield Finding("G102", subject, "row-level security is not enabled", fix)
        if not t.rls_forced:
            yield Finding("G103", subject, "row-level security is not forced (the owner bypasses it)", fix)
        if not any(_is_tenant_policy(p.restrictive, p.command, p.using, p.with_check) for p in t.policies):
            yield Finding(
                "G104", subject, "no RESTRICTIVE tenant policy on pavedroad_meta.current_tenant() for all commands", fix
            )
        for p in t.policies:
            if any(_FORGEABLE.search(expr or "") for expr in (p.using, p.with_check)):
                yield Finding(
                    "G114",
                    f"{subject} policy {p.name}",
                    "the policy trusts app.tenant_id, a setting any role can forge with set_config()",
                    "compare tenant_id with (SELECT pavedroad_meta.current_tenant()) instead",
                )


def _is_tenant_policy(restrictive: bool, command: str, using: str | None, check: str | None) -> bool:
    return (
        restrictive
        and command == "ALL"
        and bool(using and _TENANT_QUAL.search(using))
        and bool(check and _TENANT_QUAL.search(check))
    )


def _keys_lead_with_tenant(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    for t in _tenant_tables(catalog):
        for k in t.constraints:
            if not k.columns or k.columns[0] != "tenant_id":
                cols = ", ".join(k.columns)
                fixed = ", ".join(("tenant_id", *(c for c in k.columns if c != "tenant_id")))
                yield Finding(
                    "G105",
                    f"{t.schema}.{t.name}",
                    f"{k.kind} {k.name} ({cols}) does not lead with tenant_id",
                    f"declare it as ({fixed})",
                )


def _foreign_keys_stay_in_tenant(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    """Citus co-locates tables distributed by ``tenant_id`` only when each foreign key joins on it: the
    key must map ``tenant_id`` onto the target's ``tenant_id``, and the target must be a tenant table."""
    tenant_tables = {f"{t.schema}.{t.name}": t for t in _tenant_tables(catalog)}
    for t in _tenant_tables(catalog):
        for k in t.constraints:
            if k.kind != "foreign key":
                continue
            target = tenant_tables.get(k.references or "")
            pairs = dict(zip(k.columns, k.ref_columns, strict=False))
            if target is None or "tenant_id" not in target.columns:
                why = f"references {k.references}, which is not a tenant table"
                fix = "reference a tenant table by (tenant_id, …), or drop the key and check it in code"
            elif pairs.get("tenant_id") != "tenant_id":
                why = f"does not pair tenant_id with {k.references}.tenant_id, so a row can point into another tenant"
                fixed = ", ".join(("tenant_id", *(c for c in k.ref_columns if c != "tenant_id")))
                fix = f"declare it as FOREIGN KEY (tenant_id, …) REFERENCES {k.references} ({fixed})"
            else:
                continue
            yield Finding("G118", f"{t.schema}.{t.name}", f"foreign key {k.name} ({', '.join(k.columns)}) {why}", fix)


def _classified(catalog: Catalog, registry: Registry) -> Iterator[Finding]:
    for t in _tenant_tables(catalog):
        for column in t.columns:
            if registry.get(t.name, column) is None:
                yield Finding(
                    "G106",
                    f"{t.schema}.{t.name}.{column}",
                    "column is not classified",
                    "give the field a `classification:` in the semantic model"
                    " (or the owning block's classification.yaml)",
                )


def _views(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    for v in catalog.views:
        if v.schema != TENANT_SCHEMA:
            continue
        subject = f"{v.schema}.{v.name}"
        if v.materialized:
            yield Finding(
                "G107",
                subject,
                "materialized views cannot carry row-level security",
                "use a tenant table kept by a job, or a plain view WITH (security_invoker = true)",
            )
        elif not v.security_invoker:
            yield Finding(
                "G108",
                subject,
                "view runs with its owner's rights, bypassing row-level security",
                f"ALTER VIEW {subject} SET (security_invoker = true)",
            )
        if META_SCHEMA in v.reads_schemas:
            yield Finding(
                "G109",
                subject,
                f"view on a tenant data path reads platform schema {META_SCHEMA}",
                "platform tables are not tenant data; read them from platform code, not from views",
            )


def _definer_functions(allow: frozenset[str]) -> Callable[[Catalog, Registry], Iterator[Finding]]:
    def rule(catalog: Catalog, _: Registry) -> Iterator[Finding]:
        for f in catalog.functions:
            if f.security_definer and f"{f.schema}.{f.name}" not in allow:
                yield Finding(
                    "G110",
                    f"{f.schema}.{f.name}()",
                    "SECURITY DEFINER function is not on the allow-list",
                    "make it SECURITY INVOKER, or add it to the allow-list with a reason",
                )

    return rule


def _app_role(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    role = catalog.app_role
    if not catalog.app_role_flags.get("exists", False):
        yield Finding("G111", role, "the application role does not exist", "run `pavedroad migrate`")
        return
    if catalog.app_role_flags.get("rolsuper"):
        yield Finding("G111", role, "the application role is a superuser", f"ALTER ROLE {role} NOSUPERUSER")
    if catalog.app_role_flags.get("rolbypassrls"):
        yield Finding("G112", role, "the application role has BYPASSRLS", f"ALTER ROLE {role} NOBYPASSRLS")
    for thing in catalog.app_owned:
        yield Finding(
            "G113",
            role,
            f"the application role owns {thing}",
            "create objects in migrations (as the owner) and GRANT the application role what it needs",
        )


def _tenant_signing(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    role = catalog.app_role
    for t in catalog.tables:
        if t.schema == META_SCHEMA and t.name in _SIGNING_TABLES and t.app_privileges:
            yield Finding(
                "G115",
                f"{t.schema}.{t.name}",
                f"the application role holds {', '.join(sorted(t.app_privileges))} on the tenant-signing state",
                f"REVOKE ALL ON {t.schema}.{t.name} FROM {role}, PUBLIC",
            )
    for f in catalog.functions:
        if f.schema != META_SCHEMA:
            continue
        if f.name == _SIGNER and f.app_can_execute:
            yield Finding(
                "G115",
                f"{f.schema}.{f.name}()",
                "the application role can execute the tenant signer, so it could sign any tenant",
                f"REVOKE ALL ON FUNCTION {f.schema}.{f.name} FROM PUBLIC",
            )
        if f.name in _TENANT_DEFINERS and not f.security_definer:
            yield Finding(
                "G115",
                f"{f.schema}.{f.name}()",
                "the tenant function is not SECURITY DEFINER, so the application role's rights apply",
                "recreate it as in db/migrations/0002_unforgeable_tenant.sql",
            )


def _server_logging(catalog: Catalog, _: Registry) -> Iterator[Finding]:
    for name, safe in SAFE_LOG_SETTINGS.items():
        value = catalog.server_settings.get(name)
        if value is not None and value not in safe:
            yield Finding(
                "G116",
                f"server setting {name}",
                f"is {value}, which can write statements, DETAIL lines or bind values to the server log",
                f"set {name} = {sorted(safe)[0]} (the embedded server does: db.embedded.LOG_SETTINGS)",
            )


def check_catalog(
    catalog: Catalog, registry: Registry, *, definer_allow_list: Iterable[str] = DEFAULT_DEFINER_ALLOW_LIST
) -> list[Finding]:
    """Every finding, sorted by code then object (empty means the schema is safe)."""
    rules = (
        _tenant_column,
        _row_security,
        _keys_lead_with_tenant,
        _foreign_keys_stay_in_tenant,
        _classified,
        _views,
        _definer_functions(frozenset(definer_allow_list)),
        _app_role,
        _tenant_signing,
        _server_logging,
    )
    return sorted(finding for rule in rules for finding in rule(catalog, registry))
