"""The dashboard's panels as data: name, title, roles that may see it, refresh period, renderer.

A block shows itself on the dashboard by registering a ``Panel``; the page lists the panels the
principal's role may see, so what a role may not see is never sent to the browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from pavedroad.tenancy import Principal, Role

__all__ = ["ALL_ROLES", "Panel", "PanelResult", "panels_for", "register_panel"]

ALL_ROLES: frozenset[Role] = frozenset(Role)

# (template name, context) rendered into the panel's body.
PanelResult = tuple[str, dict[str, Any]]
Renderer = Callable[[Request, Principal], Awaitable[PanelResult]]


@dataclass(frozen=True)
class Panel:
    """One section of the dashboard page."""

    name: str
    title: str
    render: Renderer
    roles: frozenset[Role] = ALL_ROLES
    refresh_s: int | None = None
    wide: bool = False
    order: int = 100
    actions: dict[str, Callable[[Request, Principal], Awaitable[PanelResult]]] = field(default_factory=dict)


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    """Add (or replace) a panel; returns it so it can be used as a value."""
    _PANELS[panel.name] = panel
    return panel


def panels_for(principal: Principal) -> list[Panel]:
    """The panels ``principal`` may see, in display order."""
    return sorted((p for p in _PANELS.values() if principal.role in p.roles), key=lambda p: (p.order, p.name))


def get_panel(name: str) -> Panel | None:
    return _PANELS.get(name)
