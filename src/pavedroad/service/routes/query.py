"""``POST /v1/query``: run a report or list view (text or JSON form) for the caller's tenant and role.

Bad queries are 4xx with the structured error (code, message, hint, span); the tenant comes from the
credential only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from pavedroad.query import arun
from pavedroad.recruiting.model import recruiting_model
from pavedroad.service.auth import current_principal
from pavedroad.tenancy import Principal

router = APIRouter(prefix="/v1", tags=["query"])


class QueryBody(BaseModel):
    """A query in either form, its $parameters and, for list views, the cursor of the previous page."""

    query: str | dict[str, Any] = Field(description="Pipeline text, or the JSON form (see docs/query.md).")
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    cursor: str | None = Field(default=None, max_length=2048)


@router.post("/query", summary="Run a query (report or list view)")
async def query(
    request: Request, body: QueryBody, principal: Annotated[Principal, Depends(current_principal)]
) -> dict[str, Any]:
    result = await arun(
        request.app.state.pool,
        principal,
        body.query,
        model=recruiting_model(),
        params=dict(body.params),
        cursor=body.cursor,
    )
    return result.to_dict()
