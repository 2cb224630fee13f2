"""Query console: edit a DSL query, run it, see rows, the SQL's shape and errors with their caret."""

from __future__ import annotations

from fastapi import Request

from pavedroad.service.dashboard.registry import Panel, PanelResult, register_panel
from pavedroad.service.dashboard.routes import form_fields
from pavedroad.service.routes import query as query_routes
from pavedroad.tenancy import Principal

EXAMPLE = """applications
| where applied_at >= today() - 365 days
| group source.kind
| aggregate applications = count(), hires = count(hired_at)
| derive share = percent_of_total(applications)
| sort -applications"""


async def render(request: Request, principal: Principal) -> PanelResult:
    return "panels/query.html", {"text": EXAMPLE, "result": None}


async def run(request: Request, principal: Principal) -> PanelResult:
    text = (await form_fields(request)).get("query", "").strip() or EXAMPLE
    result = await query_routes.query(request, query_routes.QueryBody(query=text), principal)
    return "panels/query_result.html", {"result": result, "text": text}


async def explain(request: Request, principal: Principal) -> PanelResult:
    """The compiler's passes, joins and tenant predicates, the SQL and the analysed plan (hot node marked)."""
    text = (await form_fields(request)).get("query", "").strip() or EXAMPLE
    body = query_routes.ExplainBody(query=text, analyze=True)
    return "panels/query_explain.html", {"x": await query_routes.explain(request, body, principal)}


register_panel(
    Panel("query", "Query console", render, order=10, wide=True, actions={"run": run, "explain": explain})
)
