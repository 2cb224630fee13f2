"""The emitted SQL is safe: every table reference is scoped to the tenant inside its own SELECT
(``alias.tenant_column = :tenant`` as a top-level conjunct of that SELECT's WHERE, or of its JOIN's
ON), and no literal string or number appears in it — every value is a bound parameter. Otherwise
nothing is emitted (``UnsafeQuery``, fail closed). Independent of how the SQL was built.
"""

from __future__ import annotations

from sqlglot import exp

from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import InternalCompilerError, UnsafeQuery
from pavedroad.query.passes.scope_tenant import TENANT_PARAM

__all__ = ["check_sql", "verify"]


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    stack = [node] if node is not None else []
    while stack:
        cur = stack.pop()
        if isinstance(cur, exp.And):
            stack += [cur.this, cur.expression]
        elif isinstance(cur, exp.Paren):
            stack.append(cur.this)
        else:
            out.append(cur)
    return out


def _scopes(conds: list[exp.Expression], alias: str, tenant_columns: dict[str, str], table: str) -> bool:
    column = tenant_columns.get(table, "tenant_id")
    for c in conds:
        if not isinstance(c, exp.EQ):
            continue
        left, right = c.this, c.expression
        if isinstance(left, exp.Placeholder):
            left, right = right, left
        if (
            isinstance(left, exp.Column)
            and isinstance(right, exp.Placeholder)
            and right.name == TENANT_PARAM
            and left.table == alias
            and left.name == column
        ):
            return True
    return False


def _nodes(root: exp.Expression) -> list[exp.Expression]:
    """Every node of the tree (a plain depth-first walk; cheaper than ``Expression.walk``)."""
    out: list[exp.Expression] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        for value in node.args.values():
            if isinstance(value, exp.Expression):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, exp.Expression))
    return out


def check_sql(tree: exp.Expression, tenant_columns: dict[str, str]) -> None:
    """Raise ``UnsafeQuery`` unless every table is tenant-scoped and no literal is inlined."""
    for node in _nodes(tree):
        if isinstance(node, exp.Literal):
            raise UnsafeQuery(f"refusing to emit SQL with an inline literal {node.sql()!r}")
        if not isinstance(node, exp.Table):
            continue
        alias = node.alias_or_name
        parent = node.parent
        if isinstance(parent, exp.Join):
            conds = _conjuncts(parent.args.get("on"))
            select = parent.parent
        elif isinstance(parent, exp.From):
            select = parent.parent
            where = select.args.get("where") if select is not None else None
            conds = _conjuncts(where.this if where is not None else None)
        else:
            raise UnsafeQuery(f"refusing to emit SQL: table {node.name!r} appears outside FROM/JOIN")
        if not isinstance(select, exp.Select) or not _scopes(conds, alias, tenant_columns, node.name):
            raise UnsafeQuery(f"refusing to emit SQL: table {node.name!r} (as {alias}) is not scoped to the tenant")


def verify(query: QueryState, ctx: Context) -> QueryState:
    """Every table reference is tenant-scoped in its own SELECT and every value is a bound parameter."""
    if query.sql is None:
        raise InternalCompilerError("verify ran before lower: no SQL to check")
    columns = {e.table: e.tenant_column for e in ctx.model.entities.values()}
    check_sql(query.sql, columns)
    return query
