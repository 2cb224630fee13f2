"""Foreign keys checked once per load, set-wise, instead of once per row.

Postgres implements a foreign key as internal triggers that look the parent row up for every inserted
row; on a bulk load that is most of the cost. Like ``pg_restore --disable-triggers``, the loader sets
``session_replication_role = replica`` for tables whose only triggers are those internal ones, and then
``verify_foreign_keys`` checks every foreign key of those tables with one anti-join each before the
transaction commits. Guarantees: a user-defined trigger is never skipped (tables with one load with
triggers on); unique, check and not-null constraints are never skipped (they are not triggers); if any
loaded row lacks its parent, ``verify_foreign_keys`` raises and the caller rolls back; without the
privilege to set the role (a non-superuser owner) the load simply keeps row-wise checks.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from pavedroad.errors import Conflict

__all__ = ["can_skip_fk_triggers", "tables_with_user_triggers", "verify_foreign_keys"]

_FOREIGN_KEYS = """
select c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
       array(select a.attname::text from unnest(c.conkey) with ordinality k(num, ord)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num order by k.ord),
       array(select a.attname::text from unnest(c.confkey) with ordinality k(num, ord)
             join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.num order by k.ord)
  from pg_constraint c
 where c.contype = 'f' and c.conrelid = any(%s::regclass[])
 order by 1
"""


def can_skip_fk_triggers(conn: psycopg.Connection) -> bool:
    """Whether this session may set ``session_replication_role`` (superuser or granted); leaves it unset."""
    try:
        with conn.transaction():
            conn.execute("set local session_replication_role = replica")
            conn.execute("set local session_replication_role = origin")
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


def tables_with_user_triggers(conn: psycopg.Connection, tables: list[str]) -> set[str]:
    """The tables among ``tables`` that carry a trigger other than foreign-key internals."""
    rows = conn.execute(
        "select distinct c.relname from pg_trigger t join pg_class c on c.oid = t.tgrelid"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'public' and not t.tgisinternal and c.relname = any(%s)",
        (tables,),
    ).fetchall()
    return {r[0] for r in rows}


def verify_foreign_keys(conn: psycopg.Connection, tables: list[str], tenants: list[str]) -> int:
    """Raise ``Conflict`` if a row of ``tenants`` in ``tables`` references a missing parent; return FKs checked."""
    if not tables or not tenants:
        return 0
    keys = conn.execute(_FOREIGN_KEYS, ([f"public.{t}" for t in tables],)).fetchall()
    checks = []
    for name, child, parent, columns, parent_columns in keys:
        present = sql.SQL(" and ").join(sql.SQL("c.{} is not null").format(sql.Identifier(col)) for col in columns)
        match = sql.SQL(" and ").join(
            sql.SQL("p.{} = c.{}").format(sql.Identifier(pc), sql.Identifier(cc))
            for cc, pc in zip(columns, parent_columns, strict=True)
        )
        checks.append(
            sql.SQL(
                "(select {name}::text, {child_name}::text, {parent_name}::text from {child} c"
                " where c.tenant_id = any(%(tenants)s) and {present}"
                " and not exists (select 1 from {parent} p where {match}) limit 1)"
            ).format(
                name=sql.Literal(name),
                child_name=sql.Literal(child),
                parent_name=sql.Literal(parent),
                child=sql.Identifier(*child.split(".")),
                parent=sql.Identifier(*parent.split(".")),
                present=present,
                match=match,
            )
        )
    if not checks:
        return 0
    # One statement, one round trip; each branch stops at its first orphan.
    broken = conn.execute(sql.SQL(" union all ").join(checks), {"tenants": tenants}).fetchone()
    if broken is not None:
        name, child, parent = broken
        raise Conflict(
            f"generated rows in {child} violate foreign key {name} (no matching row in {parent})",
            hint="nothing was loaded; this is a generator bug, please report it with the seed used",
        )
    return len(keys)
