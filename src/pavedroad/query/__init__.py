"""The query language: pipeline text or JSON ─► typed AST ─► tenant-scoped, fan-out-safe SQL.

    >>> from pavedroad.query import compile_query, TenantSchema
    >>> from pavedroad.recruiting.model import recruiting_model
    >>> q = compile_query("applications | group source.name | aggregate n = count()",
    ...                   model=recruiting_model(), schema=TenantSchema("acme"))
    >>> q.params["tenant"], [c.name for c in q.columns]
    ('acme', ['source_name', 'n'])

Passes live in ``pavedroad.query.passes`` (their order in ``pipeline.PASSES``); the privacy layer plugs
in through ``FieldPolicy`` and ``QueryGuard`` (``ports.py``). ``run``/``arun``/``run_duckdb`` execute a
principal's query through a ``QueryGuard`` (``pavedroad.privacy.Guardrails``: field access, row rules,
suppression, audit) on Postgres (via ``tenancy.transaction``) or DuckDB; ``*_unrestricted`` skip the
guard and say so in their name (owner tools).
"""

from pavedroad.query.compiler import CompiledQuery, Compiler, compile_query, default_compiler
from pavedroad.query.context import Column, Context, Limits, QueryState
from pavedroad.query.errors import InternalCompilerError, QueryError, QueryLimitError, Span, UnsafeQuery
from pavedroad.query.jsonform import from_json, to_json
from pavedroad.query.model import Classification, SemanticModel, load_model, parse_model
from pavedroad.query.overlay import (
    CUSTOM_CLASSIFICATIONS,
    CUSTOM_TYPES,
    CustomField,
    TenantSchema,
    aload_tenant_schema,
    custom_label,
    load_tenant_schema,
)
from pavedroad.query.pipeline import PASSES, run_passes
from pavedroad.query.ports import DefaultPolicy, FieldPolicy, FieldUse, GuardedResult, QueryGuard
from pavedroad.query.run import (
    QueryResult,
    arun,
    arun_unrestricted,
    arun_unrestricted_in,
    encode_cursor,
    run,
    run_duckdb,
    run_duckdb_unrestricted,
    run_unrestricted,
    run_unrestricted_in,
)
from pavedroad.query.text import parse_text, to_text

__all__ = [
    "CUSTOM_CLASSIFICATIONS",
    "CUSTOM_TYPES",
    "PASSES",
    "Classification",
    "Column",
    "CompiledQuery",
    "Compiler",
    "Context",
    "CustomField",
    "DefaultPolicy",
    "FieldPolicy",
    "FieldUse",
    "GuardedResult",
    "InternalCompilerError",
    "Limits",
    "QueryError",
    "QueryGuard",
    "QueryLimitError",
    "QueryResult",
    "QueryState",
    "SemanticModel",
    "Span",
    "TenantSchema",
    "UnsafeQuery",
    "aload_tenant_schema",
    "arun",
    "arun_unrestricted",
    "arun_unrestricted_in",
    "compile_query",
    "custom_label",
    "default_compiler",
    "encode_cursor",
    "from_json",
    "load_model",
    "load_tenant_schema",
    "parse_model",
    "parse_text",
    "run",
    "run_duckdb",
    "run_duckdb_unrestricted",
    "run_passes",
    "run_unrestricted",
    "run_unrestricted_in",
    "to_json",
    "to_text",
]
