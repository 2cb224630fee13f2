"""Where a data subject's rows live: the foreign-key graph from the subject's table, read from the catalog.

Guarantee: ``subject_graph`` returns every tenant table whose rows reference the subject directly or
through a chain of foreign keys (each with a SQL predicate selecting exactly the subject's rows, keys
compared together with ``tenant_id``), so export and erasure follow the schema as it is, not a list
that goes stale when a table is added.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import psycopg
from psycopg import sql

__all__ = ["Column", "LinkedTable", "subject_graph"]

_FKS = """
select c.relname, r.relname,
       array(select a.attname::text from unnest(k.conkey) with ordinality u(n, o)
             join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.o),
       array(select a.attname::text from unnest(k.confkey) with ordinality u(n, o)
             join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.o)
  from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class r on r.oid = k.confrelid
  join pg_namespace n on n.oid = c.relnamespace
 where k.contype = 'f' and n.nspname = 'public' order by 1, 2"""

_COLUMNS = """
select table_name, column_name, data_type, is_nullable = 'YES', column_default is not null, is_generated <> 'NEVER'
  from information_schema.columns where table_schema = 'public' and table_name = any(%s) order by ordinal_position"""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    nullable: bool
    has_default: bool
    generated: bool


@dataclass(frozen=True)
class LinkedTable:
    """A table holding the subject's rows; ``predicate`` selects them (parameter: tenant, subject id)."""

    name: str
    predicate: sql.Composable
    depth: int
    columns: tuple[Column, ...]


def _pred(table: str, via: list[tuple[list[str], str, list[str]]], known: dict[str, sql.Composable]) -> sql.Composable:
    parts = []
    for cols, target, ref_cols in via:
        pairs = [(c, r) for c, r in zip(cols, ref_cols, strict=True) if c != "tenant_id"]
        if not pairs:
            continue
        left = sql.SQL(", ").join(sql.Identifier(table, c) for c, _ in pairs)
        right = sql.SQL(", ").join(sql.Identifier(target, r) for _, r in pairs)
        parts.append(
            sql.SQL("({}) in (select {} from {} where {} = {} and {})").format(
                left,
                right,
                sql.Identifier(target),
                sql.Identifier(target, "tenant_id"),
                sql.Identifier(table, "tenant_id"),
                known[target],
            )
        )
    return sql.SQL("({})").format(sql.SQL(" or ").join(parts))


def subject_graph(conn: psycopg.Connection, table: str, *, key: str = "id", max_depth: int = 6) -> list[LinkedTable]:
    """The subject's table first (``key = %(subject)s``), then every table linked to it, nearest first."""
    fks: dict[str, list[tuple[str, list[str], list[str]]]] = {}
    for child, parent, cols, ref_cols in conn.execute(_FKS):
        fks.setdefault(child, []).append((parent, cols, ref_cols))
    known: dict[str, sql.Composable] = {
        table: sql.SQL("{} = %(subject)s").format(sql.Identifier(table, key)),
    }
    depth = {table: 0}
    queue = deque([table])
    while queue:
        current = queue.popleft()
        for child, links in fks.items():
            if child in known or depth[current] >= max_depth:
                continue
            via = [(cols, parent, refs) for parent, cols, refs in links if parent in known and parent != child]
            if any(parent == current for parent, _, _ in links):
                known[child] = _pred(child, via, known)
                depth[child] = depth[current] + 1
                queue.append(child)
    columns: dict[str, list[Column]] = {}
    for tname, *rest in conn.execute(_COLUMNS, (list(known),)):
        columns.setdefault(tname, []).append(Column(*rest))
    return [
        LinkedTable(name, known[name], depth[name], tuple(columns.get(name, ())))
        for name in sorted(known, key=lambda n: (depth[n], n))
    ]
