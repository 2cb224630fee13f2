"""The web dashboard: server-rendered pages (Jinja2 + htmx + uPlot, vendored) over the block APIs."""

from pavedroad.service.dashboard.registry import ALL_ROLES, Panel, PanelResult, panels_for, register_panel

__all__ = ["ALL_ROLES", "Panel", "PanelResult", "install_dashboard", "panels_for", "register_panel"]


def install_dashboard(app: object) -> None:
    """Mount the dashboard's routes and static files on ``app`` (a FastAPI app)."""
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles

    from pavedroad.service.dashboard import panels  # noqa: F401 - registers the built-in panels
    from pavedroad.service.dashboard.routes import BASE, STATIC_DIR, router

    assert isinstance(app, FastAPI)
    app.include_router(router)
    app.mount(f"{BASE}/static", StaticFiles(directory=str(STATIC_DIR)), name="dashboard-static")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(BASE, status_code=307)
