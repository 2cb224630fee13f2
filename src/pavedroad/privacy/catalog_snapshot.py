"""A snapshot of what the Postgres catalog says about tenant isolation, read in one pass.

Guarantee: ``read_catalog`` only reads (``pg_catalog``, ``pg_policies``, ``pg_settings``) and returns plain frozen
data, so the rules in ``isolation_rules`` are pure functions tested without a database. Objects that
belong to an extension (e.g. ``pg_stat_statements``) are the extension's, not the schema's, and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

__all__ = ["Catalog", "Constraint", "Function", "Policy", "Table", "View", "read_catalog"]

TENANT_SCHEMA = "public"
META_SCHEMA = "pavedroad_meta"


@dataclass(frozen=True)
class Policy:
    name: str
    restrictive: bool
    command: str  # ALL, SELECT, INSERT, UPDATE, DELETE
    using: str | None
    with_check: str | None


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # primary key, unique, foreign key, unique index, exclusion
    columns: tuple[str, ...]
    references: str | None = None  # a foreign key's target table, "schema.name"
    ref_columns: tuple[str, ...] = ()  # the target's columns, paired with ``columns`` in order


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[str, ...]
    rls_enabled: bool
    rls_forced: bool
    owner: str
    policies: tuple[Policy, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    app_privileges: frozenset[str] = frozenset()


@dataclass(frozen=True)
class View:
    schema: str
    name: str
    materialized: bool
    security_invoker: bool
    owner: str
    reads_schemas: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    security_definer: bool
    owner: str
    app_can_execute: bool = False


@dataclass(frozen=True)
class Catalog:
    tables: tuple[Table, ...]
    views: tuple[View, ...]
    functions: tuple[Function, ...]
    app_role: str
    app_role_flags: dict[str, bool] = field(default_factory=dict)  # rolsuper, rolbypassrls, exists
    app_owned: tuple[str, ...] = ()  # "kind schema.name" of anything the application role owns
    server_settings: dict[str, str] = field(default_factory=dict)  # the server's log_* settings


_TABLES = """
select n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
       array(select a.attname::text from pg_attribute a
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum),
       array(select p.privilege_type::text from information_schema.role_table_grants p
              where p.table_schema = n.nspname and p.table_name = c.relname and p.grantee = %(role)s)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('r', 'p') and n.nspname = any(%(schemas)s) and not c.relispartition
   and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
 order by 1, 2"""

_POLICIES = """
select schemaname, tablename, policyname, permissive = 'RESTRICTIVE', cmd, qual, with_check
  from pg_policies where schemaname = any(%(schemas)s)"""

_CONSTRAINTS = """
select n.nspname, c.relname, k.conname,
       case k.contype when 'p' then 'primary key' when 'u' then 'unique' when 'x' then 'exclusion'
                      else 'foreign key' end,
       array(select a.attname::text from unnest(k.conkey) with ordinality u(attnum, ord)
              join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord),
       (select rn.nspname || '.' || r.relname from pg_class r join pg_namespace rn on rn.oid = r.relnamespace
         where r.oid = k.confrelid),
       array(select a.attname::text from unnest(k.confkey) with ordinality u(attnum, ord)
              join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.ord)
  from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
 where k.contype in ('p', 'u', 'f', 'x') and n.nspname = any(%(schemas)s)
union all
select n.nspname, t.relname, i.relname, 'unique index',
       array(select coalesce(a.attname::text, 'expression') from unnest(x.indkey) with ordinality u(attnum, ord)
              left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = u.attnum order by u.ord),
       null, array[]::text[]
  from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
  join pg_namespace n on n.oid = t.relnamespace
 where x.indisunique and n.nspname = any(%(schemas)s)
   and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid)"""

_VIEWS = """
select n.nspname, c.relname, c.relkind = 'm',
       coalesce(c.reloptions::text[] && array['security_invoker=true', 'security_invoker=on',
                                              'security_invoker=1', 'security_invoker=yes'], false),
       pg_get_userbyid(c.relowner),
       array(select distinct rn.nspname::text from pg_depend d join pg_rewrite r on r.oid = d.objid
              join pg_class rc on rc.oid = d.refobjid join pg_namespace rn on rn.oid = rc.relnamespace
             where r.ev_class = c.oid and d.refobjid <> c.oid)
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relkind in ('v', 'm') and n.nspname = any(%(schemas)s)
   and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')"""

_FUNCTIONS = """
select n.nspname, p.proname, p.prosecdef, pg_get_userbyid(p.proowner),
       case when exists (select 1 from pg_roles r where r.rolname = %(role)s)
            then has_function_privilege(%(role)s, p.oid, 'EXECUTE') else false end
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname = any(%(schemas)s)
   and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')"""

_OWNED = """
select 'relation ' || n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relowner = (select oid from pg_roles where rolname = %(role)s)
union all select 'function ' || n.nspname || '.' || p.proname from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace where p.proowner = (select oid from pg_roles where rolname = %(role)s)
union all select 'schema ' || nspname from pg_namespace
 where nspowner = (select oid from pg_roles where rolname = %(role)s)
union all select 'type ' || typname from pg_type where typowner = (select oid from pg_roles where rolname = %(role)s)
union all select 'database ' || datname from pg_database
 where datdba = (select oid from pg_roles where rolname = %(role)s)
"""


def read_catalog(conn: psycopg.Connection, app_role: str = "pavedroad_app") -> Catalog:
    """Read tables, policies, keys, views, functions and the application role's powers."""
    args = {"schemas": [TENANT_SCHEMA, META_SCHEMA], "role": app_role}
    policies: dict[tuple[str, str], list[Policy]] = {}
    for schema, table, name, restrictive, cmd, qual, check in conn.execute(_POLICIES, args):
        policies.setdefault((schema, table), []).append(Policy(name, restrictive, cmd, qual, check))
    constraints: dict[tuple[str, str], list[Constraint]] = {}
    for schema, table, name, kind, cols, target, target_cols in conn.execute(_CONSTRAINTS, args):
        constraints.setdefault((schema, table), []).append(
            Constraint(name, kind, tuple(cols), target, tuple(target_cols or ()))
        )
    tables = tuple(
        Table(
            schema,
            name,
            tuple(cols),
            enabled,
            forced,
            owner,
            tuple(policies.get((schema, name), ())),
            tuple(constraints.get((schema, name), ())),
            frozenset(privs),
        )
        for schema, name, enabled, forced, owner, cols, privs in conn.execute(_TABLES, args)
    )
    views = tuple(
        View(s, n, mat, inv, owner, frozenset(reads)) for s, n, mat, inv, owner, reads in conn.execute(_VIEWS, args)
    )
    functions = tuple(Function(*row) for row in conn.execute(_FUNCTIONS, args))
    role = conn.execute("select rolsuper, rolbypassrls from pg_roles where rolname = %s", (app_role,)).fetchone()
    flags = {"exists": role is not None, "rolsuper": bool(role and role[0]), "rolbypassrls": bool(role and role[1])}
    owned = tuple(r[0] for r in conn.execute(_OWNED, args)) if role else ()
    logging = conn.execute("select name, setting from pg_settings where name like %s", ("log%",))
    settings = {str(k): str(v) for k, v in logging}
    return Catalog(tables, views, functions, app_role, flags, owned, settings)
