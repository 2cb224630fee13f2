"""``POST /v1/query``: run a report or list view (text or JSON form) for the caller's tenant and role.

Every query and explanation goes through the guardrails (``recruiting.reads.GUARDRAILS``, the path the
CLI and the Python API take too): the role-by-classification matrix and the domain's row rules,
small-group suppression, and an audit event; an explanation hides the planner's estimates. Bad queries are 4xx with the
structured error (code, message, hint, span); the tenant comes from the credential only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from pavedroad.query import RunOptions, arun
from pavedroad.querytools import aexplain, shape_log_lifespan
from pavedroad.recruiting import reads
from pavedroad.recruiting.model import recruiting_model
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal

router = APIRouter(prefix="/v1", tags=["query"], lifespan=shape_log_lifespan)  # the shape log's flusher


class QueryBody(BaseModel):
    """A query in either form, its $parameters and, for list views, the cursor of the previous page."""

    query: str | dict[str, Any] = Field(description="Pipeline text, or the JSON form (see docs/query.md).")
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    cursor: str | None = Field(default=None, max_length=2048)


@router.post("/query", summary="Run a query (report or list view)")
async def query(
    request: Request, body: QueryBody, principal: Annotated[Principal, Depends(current_principal)]
) -> dict[str, Any]:
    shape_log = getattr(request.app.state, "shape_log", None)
    options = RunOptions(
        params=dict(body.params),
        cursor=body.cursor,
        request_id=getattr(request.state, "request_id", None),
        compiler=shape_log.compiler if shape_log is not None else None,
    )
    result = await arun(
        request.app.state.pool, principal, body.query, model=recruiting_model(), guard=reads.GUARDRAILS, options=options
    )
    if shape_log is not None:
        shape_log.record(principal, body.query, len(result.rows))
    return result.to_dict()


class ExplainBody(BaseModel):
    """A query to explain; ``analyze`` runs it (inside a transaction that is rolled back) over the rows the
    caller may read. Planner estimates are hidden: they come from statistics over every tenant's rows."""

    query: str | dict[str, Any] = Field(description="Pipeline text, or the JSON form (see docs/query.md).")
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    analyze: bool = False


@router.post("/query/explain", summary="Explain a query: the compiler's passes, the SQL and the database plan")
async def explain(
    request: Request, body: ExplainBody, principal: Annotated[Principal, Depends(current_principal)]
) -> dict[str, Any]:
    options = RunOptions(params=dict(body.params), request_id=getattr(request.state, "request_id", None))
    out = await aexplain(request.app.state.pool, principal, body.query, model=recruiting_model(),
                         guard=reads.GUARDRAILS, options=options, analyze=body.analyze)  # fmt: skip
    return out.to_dict()
