"""Dashboard routes: sign-in with an API key (kept in an HttpOnly cookie), the page, panel fragments.

The dashboard reads the same block APIs the JSON routes use, with the same principal, so it can never
show more than the API would. Panel actions (kill, revert, run query) are POSTs guarded by the panel's
roles and a SameSite=Strict cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from pavedroad.errors import Forbidden, NotFound, PavedroadError, Unauthenticated
from pavedroad.service.dashboard.registry import get_panel, panels_for
from pavedroad.tenancy import Principal, authenticate

__all__ = ["BASE", "STATIC_DIR", "router"]

BASE = "/dashboard"
STATIC_DIR = Path(__file__).parent / "static"
COOKIE = "pavedroad_session"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(prefix=BASE, include_in_schema=False)


class SignIn(BaseModel):
    api_key: str = Field(min_length=1, max_length=200)


async def dashboard_principal(request: Request) -> Principal:
    """The principal behind the session cookie; 401 (the page redirects to sign-in) without one."""
    key = request.cookies.get(COOKIE)
    if not key:
        raise Unauthenticated("not signed in", hint=f"sign in at {BASE}/login")
    principal = await authenticate(request.app.state.pool, key)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(dashboard_principal)]


def _context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"request": request, "base": BASE, "static": f"{BASE}/static", **extra}


async def form_fields(request: Request) -> dict[str, str]:
    """Fields of an htmx form post (urlencoded), without needing a multipart parser."""
    body = (await request.body()).decode(errors="replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


@router.get("", response_class=HTMLResponse)
async def page(request: Request) -> Response:
    try:
        principal = await dashboard_principal(request)
    except Unauthenticated:
        return RedirectResponse(f"{BASE}/login", status_code=303)
    return templates.TemplateResponse(
        request, "index.html", _context(request, principal=principal, panels=panels_for(principal))
    )


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", _context(request))


@router.post("/session")
async def sign_in(request: Request, body: SignIn) -> Response:
    principal = await authenticate(request.app.state.pool, body.api_key.strip())
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        body.api_key.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=8 * 3600,
    )
    del principal
    return response


@router.post("/logout")
async def sign_out() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.api_route("/panels/{name}", methods=["GET"], response_class=HTMLResponse)
async def panel(request: Request, name: str, principal: PrincipalDep) -> Response:
    found = get_panel(name)
    if found is None or principal.role not in found.roles:
        raise NotFound(f"no panel named '{name}'")
    return await _render(request, principal, found.render)


@router.post("/panels/{name}/{action}", response_class=HTMLResponse)
async def panel_action(request: Request, name: str, action: str, principal: PrincipalDep) -> Response:
    found = get_panel(name)
    if found is None or principal.role not in found.roles:
        raise NotFound(f"no panel named '{name}'")
    handler = found.actions.get(action)
    if handler is None:
        raise NotFound(f"panel '{name}' has no action '{action}'")
    return await _render(request, principal, handler)


async def _render(request: Request, principal: Principal, renderer: Any) -> Response:
    try:
        template, context = await renderer(request, principal)
    except Forbidden as exc:
        template, context = "panels/error.html", {"error": exc}
    except PavedroadError as exc:
        template, context = "panels/error.html", {"error": exc}
    return templates.TemplateResponse(request, template, _context(request, principal=principal, **context))
