"""Compiler invariants hold in every mode: no ``assert`` in the compiler, internal errors are typed (code,
span, HTTP 500), the verifier runs on any SQL a pass list produced, and all of it under ``python -O``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pavedroad.errors import InternalError, present
from pavedroad.query import (
    PASSES,
    Context,
    InternalCompilerError,
    QueryState,
    TenantSchema,
    UnsafeQuery,
    run_passes,
)
from pavedroad.query.passes.parse import parse
from pavedroad.query.passes.plan_joins import plan_joins
from pavedroad.query.passes.scope_tenant import scope_tenant
from pavedroad.query.passes.verify import verify
from pavedroad.recruiting.model import recruiting_model

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src" / "pavedroad"
# The compiler, and the modules that write tenant data or guard its access.
GUARDED = [
    *sorted((SRC / "query").rglob("*.py")),
    SRC / "errors.py",
    SRC / "recruiting" / "commands.py",
    SRC / "recruiting" / "tenants.py",
    SRC / "privacy" / "holds.py",
    SRC / "service" / "idempotency.py",
    SRC / "db" / "migrate.py",
    SRC / "warehouse" / "projection.py",
    SRC / "warehouse" / "sqlload.py",
]
CTX = Context(recruiting_model(), TenantSchema("acme", 1, "UTC", ()))


@pytest.mark.parametrize("path", GUARDED, ids=[str(p.relative_to(SRC)) for p in GUARDED])
def test_no_invariant_rests_on_assert(path: Path) -> None:
    """``python -O`` drops asserts; these modules check invariants with typed errors instead."""
    tree = ast.parse(path.read_text())
    found = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    found += [n.lineno for n in ast.walk(tree)
              if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call | ast.Name)
              and "AssertionError" in ast.unparse(n.exc)]  # fmt: skip
    assert not found, f"{path.relative_to(ROOT)}: assert/AssertionError at lines {found}"


def test_an_internal_error_has_a_code_the_query_span_and_http_500() -> None:
    """Passes run out of order break an invariant: a typed error pointing at the query, not an AssertionError."""
    with pytest.raises(InternalCompilerError) as info:
        run_passes(QueryState("applications | aggregate n = count()"), CTX, (parse, plan_joins))
    err = info.value
    assert (err.code, err.status) == ("Q901", 500)
    assert isinstance(err, InternalError)
    assert err.span is not None
    assert (err.span.start, err.span.end) == (0, len("applications | aggregate n = count()"))
    assert "plan_joins ran before resolve_names" in err.render()
    assert "^^^^" in err.render()


def test_present_raises_a_typed_error() -> None:
    assert present(3, "three") == 3
    with pytest.raises(InternalError, match="the new row is missing"):
        present(None, "the new row")


def test_verify_runs_even_when_a_pass_list_leaves_it_out() -> None:
    """Without ``scope_tenant`` and without ``verify`` in the list, the unscoped SQL is still refused."""
    passes = tuple(p for p in PASSES if p not in (scope_tenant, verify))
    with pytest.raises(UnsafeQuery, match="not scoped"):
        run_passes(QueryState("applications | select id"), CTX, passes)


def test_verify_without_sql_is_an_internal_error() -> None:
    with pytest.raises(InternalCompilerError, match="no SQL to check"):
        verify(QueryState("applications"), CTX)


_OPTIMIZED = """
import json
from pavedroad.query import PASSES, Context, QueryState, TenantSchema, UnsafeQuery, run_passes
from pavedroad.query.passes.scope_tenant import scope_tenant
from pavedroad.recruiting.model import recruiting_model
from tests.unit.query.test_outer_rows import reached_count

out = {"optimize": __debug__ is False, "reached": reached_count()}
try:
    ctx = Context(recruiting_model(), TenantSchema("acme", 1, "UTC", ()))
    run_passes(QueryState("applications | select id"), ctx, tuple(p for p in PASSES if p is not scope_tenant))
    out["unscoped"] = "emitted"
except UnsafeQuery as exc:
    out["unscoped"] = exc.code
print(json.dumps(out))
"""


def test_the_compiler_holds_under_python_O() -> None:  # noqa: N802 - the interpreter flag is spelled -O
    """With asserts stripped, reached(stage.name) still answers correctly and unscoped SQL is still refused."""
    done = subprocess.run([sys.executable, "-O", "-c", _OPTIMIZED], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"optimize": True, "reached": 2, "unscoped": "Q900"}


def _scope_all_but_totals(query: QueryState, ctx: Context) -> QueryState:
    """``scope_tenant`` with the scans of ``all()`` totals' subqueries forgotten."""
    own = {id(s) for sub in query.plan.totals.values() for s in sub.scans()}
    for scan in query.plan.scans():
        scan.scoped = id(scan) not in own
    return query


def test_verify_checks_the_scan_of_an_ungrouped_total() -> None:
    """An ``all()`` total reads the entity again in a subquery; a scan left unscoped there is refused."""
    text = 'applications | where status = "active" | where days_since_activity > all(avg(days_since_activity))'
    scoped = run_passes(QueryState(text), CTX)
    assert scoped.sql is not None
    assert len(scoped.plan.totals) == 1
    passes = tuple(_scope_all_but_totals if p is scope_tenant else p for p in PASSES)
    with pytest.raises(UnsafeQuery, match=r"'applications' \(as t1\) is not scoped"):
        run_passes(QueryState(text), CTX, passes)


def test_verify_checks_the_branches_and_semi_joins_inside_a_total() -> None:
    """A total's own plan (a relation filter before it, a relation aggregate inside it) adds scans of its own;
    each is scoped, and one left unscoped is refused."""
    text = "applications | where any(offers) | where max(offers.salary) >= all(avg(max(offers.salary)))"
    scoped = run_passes(QueryState(text), CTX)
    (sub,) = scoped.plan.totals.values()
    assert len(sub.exists) == 1
    assert len(sub.branches) == 1
    assert all(scan.scoped for scan in sub.scans())
    passes = tuple(_scope_all_but_totals if p is scope_tenant else p for p in PASSES)
    with pytest.raises(UnsafeQuery, match="is not scoped"):
        run_passes(QueryState(text), CTX, passes)


def test_a_row_rule_narrows_the_rows_an_ungrouped_total_reads() -> None:
    """Row rules arrive as leading ``where`` steps (``privacy.rows.restrict``): an ``all()`` total reads only
    the rows the rule lets the caller see, so it cannot disclose an average over hidden rows."""
    from pavedroad.privacy import RowRule, restrict
    from pavedroad.query import from_json, to_json
    from pavedroad.query.ir import Total
    from pavedroad.query.text import parse_text

    query = to_json(parse_text("applications | where days_to_hire > all(avg(days_to_hire)) | aggregate n = count()"))
    rule = RowRule("applications", frozenset({"recruiter"}), "job_id", "select 1")
    narrowed = restrict(query, [rule], [[3, 5]], None)
    state = run_passes(QueryState(None, from_json(narrowed)), CTX)
    (total,) = state.plan.totals
    assert isinstance(total, Total)
    (only,) = total.filters
    assert state.resolved is not None
    assert state.sql is not None
    assert only == state.resolved.where[0]
    assert "t1.job_id IN" in state.sql.sql()
