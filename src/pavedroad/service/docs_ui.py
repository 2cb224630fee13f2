"""``/docs``: Swagger UI from files the service serves itself (``service/static/swagger-ui``).

FastAPI's own ``/docs`` loads Swagger UI from a CDN and ``/redoc`` loads ReDoc and Google Fonts, so the
documentation page was blank without internet access and told third parties who read it. Here every
asset comes from this service, and Swagger UI's validator badge (which sends the spec's address to
validator.swagger.io) is off. The routes are not part of the OpenAPI schema.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "DOCS_URL", "install_docs"]

DOCS_URL = "/docs"
ASSETS = f"{DOCS_URL}/assets"
_OAUTH2_REDIRECT = f"{DOCS_URL}/oauth2-redirect"
_STATIC_DIR = Path(str(resources.files("pavedroad.service") / "static" / "swagger-ui"))


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` with local assets (create the app with ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=str(_STATIC_DIR)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} - API",
            oauth2_redirect_url=root + _OAUTH2_REDIRECT,
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(_OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
