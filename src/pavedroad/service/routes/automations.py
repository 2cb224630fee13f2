"""``/v1/automations``: a tenant's admins list, save (validated and versioned) and preview automation rules.

Thin adapters to ``pavedroad.workflows`` (save, list, preview); conditions are judged in the query DSL
through the domain's guardrails (``recruiting.reads.GUARDRAILS`` over the recruiting model), so a bad
condition is a 400 with line, column and caret, and a condition reads only what the admin role may.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pavedroad import workflows
from pavedroad.recruiting import reads
from pavedroad.recruiting.model import recruiting_model
from pavedroad.service.routes.workflows import AdminDep

router = APIRouter(prefix="/v1/automations", tags=["automations"])


def _condition() -> workflows.DslCondition:
    return workflows.DslCondition(reads.GUARDRAILS, recruiting_model())


@router.get("", summary="The newest version of each of the tenant's rules (tenant admins)")
async def list_rules(request: Request, principal: AdminDep) -> dict[str, Any]:
    rules = await workflows.list_rules(request.app.state.pool, principal)
    return {"rules": [r.model_dump(mode="json") for r in rules]}


@router.post("", status_code=201, summary="Save a rule as its next version, validated first (tenant admins)")
async def save(request: Request, principal: AdminDep, rule: workflows.Rule) -> dict[str, Any]:
    saved = await workflows.save_rule(request.app.state.pool, principal, rule, _condition())
    return saved.model_dump(mode="json")


@router.post("/preview", summary="How often a rule would have fired over recent history, with examples")
async def preview(
    request: Request,
    principal: AdminDep,
    rule: workflows.Rule,
    days: Annotated[float, Query(gt=0, le=366)] = 30,
) -> dict[str, Any]:
    result = await workflows.preview_rule(request.app.state.pool, principal, rule, _condition(), days=days)
    return {"count": result.count, "sample": result.sample}
