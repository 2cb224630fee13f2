"""Query tools: see what the compiler does and make it faster without guessing.

* ``aexplain`` (sync facade ``explain``) — every pass's result, the SQL and the database plan
  (``EXPLAIN [ANALYZE, BUFFERS]`` in a rolled-back savepoint under the principal's tenant), through the
  caller's ``QueryGuard`` (row rules applied, planner estimates hidden); ``*_unrestricted`` for owners.
* ``trace_compile``, ``profile_query``, ``profile_suite`` — per-pass compile timings.
* ``ShapeLog`` / ``shape_log_lifespan`` — the service's query-shape log (normalized shapes, no literals);
  ``top_shapes`` — the costliest shapes across tenants, joined with ``pg_stat_statements``.
* ``advise`` — index proposals measured in a scratch transaction that is rolled back.
* ``record_plans`` / ``compare_plans`` — the plan-regression check against a checked-in baseline.

    >>> from pavedroad.query import TenantSchema
    >>> from pavedroad.recruiting.model import recruiting_model
    >>> t = trace_compile("jobs | aggregate n = count()", model=recruiting_model(), schema=TenantSchema("acme"))
    >>> [p.name for p in t.passes][:3]
    ['parse', 'resolve_names', 'check_types']
"""

from pavedroad.querytools.advisor import IndexCandidate, KeyPart, candidates
from pavedroad.querytools.advisor_run import Advice, Proposal, advise, index_ddl
from pavedroad.querytools.dbplan import DbPlan, PlanNode, from_duckdb_profile, from_postgres, without_estimates
from pavedroad.querytools.explain import Explanation, explain_trace
from pavedroad.querytools.explain_run import (
    aexplain,
    aexplain_unrestricted,
    aexplain_unrestricted_in,
    explain,
    explain_duckdb_unrestricted,
    explain_unrestricted,
)
from pavedroad.querytools.plancheck import PlanReport, compare_plans, load_baseline, record_plans
from pavedroad.querytools.profile import QueryProfile, SuiteProfile, profile_query, profile_suite
from pavedroad.querytools.render import (
    render_advice,
    render_explanation,
    render_plan_report,
    render_profile,
    render_top,
)
from pavedroad.querytools.scratch import tenant_schema
from pavedroad.querytools.shapelog import ShapeLog, shape_log_lifespan
from pavedroad.querytools.shapes import ShapeBuffer, ShapeRecord, TimedCompiler, shape_id, shape_of
from pavedroad.querytools.suite import SuiteQuery, load_suite, parse_suite
from pavedroad.querytools.top import ORDER as TOP_ORDER
from pavedroad.querytools.top import explain_command, top_shapes
from pavedroad.querytools.trace import Trace, trace_compile

__all__ = [
    "TOP_ORDER",
    "Advice",
    "DbPlan",
    "Explanation",
    "IndexCandidate",
    "KeyPart",
    "PlanNode",
    "PlanReport",
    "Proposal",
    "QueryProfile",
    "ShapeBuffer",
    "ShapeLog",
    "ShapeRecord",
    "SuiteProfile",
    "SuiteQuery",
    "TimedCompiler",
    "Trace",
    "advise",
    "aexplain",
    "aexplain_unrestricted",
    "aexplain_unrestricted_in",
    "candidates",
    "compare_plans",
    "explain",
    "explain_command",
    "explain_duckdb_unrestricted",
    "explain_trace",
    "explain_unrestricted",
    "from_duckdb_profile",
    "from_postgres",
    "index_ddl",
    "load_baseline",
    "load_suite",
    "parse_suite",
    "profile_query",
    "profile_suite",
    "record_plans",
    "render_advice",
    "render_explanation",
    "render_plan_report",
    "render_profile",
    "render_top",
    "shape_id",
    "shape_log_lifespan",
    "shape_of",
    "tenant_schema",
    "top_shapes",
    "trace_compile",
    "without_estimates",
]
