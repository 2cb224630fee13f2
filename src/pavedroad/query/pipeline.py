"""The compiler: an ordered tuple of pure passes, each ``pass(query, ctx) -> query``.

Order matters:
- ``resolve_names`` before ``check_types``: types come from the model fields names resolve to.
- ``apply_policy`` after ``check_types`` so it judges typed, fully expanded expressions (a derived
  field's classification is the max of the columns it reads), and before planning so a refused field
  never influences joins.
- ``plan_joins`` before ``scope_tenant``: the tenant predicate is attached to every scan the plan made.
- ``verify`` last, on the emitted SQLGlot tree, independent of everything before it. ``run_passes``
  runs it on any SQL a pass list produced, even a list that left it out: no mode skips it.
"""

from __future__ import annotations

from collections.abc import Callable

from pavedroad.query.context import Context, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, QueryLimitError, Span
from pavedroad.query.passes.apply_policy import apply_policy
from pavedroad.query.passes.check_types import check_types
from pavedroad.query.passes.lower import lower
from pavedroad.query.passes.parse import parse
from pavedroad.query.passes.plan_joins import plan_joins
from pavedroad.query.passes.resolve_names import resolve_names
from pavedroad.query.passes.scope_tenant import scope_tenant
from pavedroad.query.passes.verify import verify

__all__ = ["PASSES", "Pass", "run_passes"]

Pass = Callable[[QueryState, Context], QueryState]

PASSES: tuple[Pass, ...] = (
    parse,
    resolve_names,
    check_types,
    apply_policy,
    plan_joins,
    scope_tenant,
    lower,
    verify,
)


def run_passes(query: QueryState, ctx: Context, passes: tuple[Pass, ...] = PASSES) -> QueryState:
    """Run ``passes`` in order, then ``verify`` on the SQL if the list did not end with it; errors come back
    able to render the source they point into (an internal error without a node's span points at the
    whole query)."""
    source = query.source
    try:
        for step in passes:
            query = step(query, ctx)
        if query.sql is not None and (not passes or passes[-1] is not verify):
            query = verify(query, ctx)
    except (QueryError, QueryLimitError) as exc:
        raise exc.with_source(source) from None
    except InternalCompilerError as exc:
        if exc.span is None and source is not None:
            lines = source.splitlines() or [""]
            exc.span = Span(0, len(lines[0]), 1, 1)
        raise exc.with_source(source) from None
    except RecursionError:
        raise QueryLimitError(
            "the query nests too deeply",
            code="Q402",
            hint="split the expression with derive steps",
            source=source,
        ) from None
    return query
