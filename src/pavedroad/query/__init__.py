"""The query language: pipeline text or JSON ─► typed AST ─► tenant-scoped, fan-out-safe SQL.

    >>> from pavedroad.query import compile_query, TenantSchema
    >>> from pavedroad.recruiting.model import recruiting_model
    >>> q = compile_query("applications | group source.name | aggregate n = count()",
    ...                   model=recruiting_model(), schema=TenantSchema("acme"))
    >>> q.params["tenant"], [c.name for c in q.columns]
    ('acme', ['source_name', 'n'])

Passes live in ``pavedroad.query.passes`` (their order in ``pipeline.PASSES``); the privacy layer plugs
in through ``FieldPolicy`` and ``QueryGuard`` (``ports.py``). ``arun`` (and its sync facade ``run``)
executes a principal's query through a ``QueryGuard`` (``pavedroad.privacy.Guardrails``: field access,
row rules, suppression, audit) on Postgres (via ``tenancy.atransaction``), DuckDB or an in-process
ClickHouse (``query.clickhouse``); ``*_unrestricted`` skip the guard and say so in their name (owner
tools). Every run and explain path takes one ``RunOptions`` (parameters, cursor, limits, compiler, clock,
request id).

The AST module, the IR node types and the pass plumbing are public for ``pavedroad.querytools`` (explain,
profile, advisor), which builds on this API only.
"""

from pavedroad.query import ast
from pavedroad.query.compiler import CompiledQuery, Compiler, compile_query, default_compiler, normalize
from pavedroad.query.context import Column, Context, Dialect, Limits, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, QueryLimitError, Span, UnsafeQuery
from pavedroad.query.ir import Col, Const, Fn, Hop, Node, Resolved, cols_of
from pavedroad.query.jsonform import from_json, to_json
from pavedroad.query.model import Classification, SemanticModel, load_model, parse_model
from pavedroad.query.options import RunOptions
from pavedroad.query.overlay import (
    CUSTOM_CLASSIFICATIONS,
    CUSTOM_TYPES,
    CustomField,
    TenantSchema,
    aload_tenant_schema,
    custom_label,
    load_tenant_schema,
)
from pavedroad.query.passes.plan_joins import Plan
from pavedroad.query.passes.scope_tenant import TENANT_PARAM
from pavedroad.query.pipeline import PASSES, Pass, run_passes
from pavedroad.query.ports import DefaultPolicy, FieldPolicy, FieldUse, GuardedResult, QueryGuard
from pavedroad.query.run import (
    QueryResult,
    arun,
    arun_unrestricted,
    arun_unrestricted_in,
    db_query_error,
    encode_cursor,
    run,
    run_clickhouse_unrestricted,
    run_duckdb_unrestricted,
    run_unrestricted,
)
from pavedroad.query.text import parse_text, to_text

__all__ = [
    "CUSTOM_CLASSIFICATIONS",
    "CUSTOM_TYPES",
    "PASSES",
    "TENANT_PARAM",
    "Classification",
    "Col",
    "Column",
    "CompiledQuery",
    "Compiler",
    "Const",
    "Context",
    "CustomField",
    "DefaultPolicy",
    "Dialect",
    "FieldPolicy",
    "FieldUse",
    "Fn",
    "GuardedResult",
    "Hop",
    "InternalCompilerError",
    "Limits",
    "Node",
    "Pass",
    "Plan",
    "QueryError",
    "QueryGuard",
    "QueryLimitError",
    "QueryResult",
    "QueryState",
    "Resolved",
    "RunOptions",
    "SemanticModel",
    "Span",
    "TenantSchema",
    "UnsafeQuery",
    "aload_tenant_schema",
    "arun",
    "arun_unrestricted",
    "arun_unrestricted_in",
    "ast",
    "cols_of",
    "compile_query",
    "custom_label",
    "db_query_error",
    "default_compiler",
    "encode_cursor",
    "from_json",
    "load_model",
    "load_tenant_schema",
    "normalize",
    "parse_model",
    "parse_text",
    "run",
    "run_clickhouse_unrestricted",
    "run_duckdb_unrestricted",
    "run_passes",
    "run_unrestricted",
    "to_json",
    "to_text",
]
