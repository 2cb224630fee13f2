"""The request's cohort: which deploy version and which flag variant served it.

The recorder labels every request with a cohort so that canary analysis can compare SLIs per variant.
The deploy version comes from settings (``deploy_version``). The variant is set *during* the request by
whoever decides it (the flags block, or your own code)::

    from pavedroad import slo
    slo.set_cohort("new-checkout")          # anywhere inside the request, sync or async

or, equivalently, by putting the name in ``request.state.slo_variant`` (ASGI ``scope["state"]``).

Why a holder object: ``BaseHTTPMiddleware`` runs the app in another task and sync endpoints run in a
thread pool, each on a *copy* of the context, so a plain ``ContextVar.set`` inside the endpoint would not
be seen by the recorder outside. The recorder puts a mutable holder in the context var at the start of
the request; every copy of the context shares the same holder, so ``set_cohort`` is seen everywhere.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

__all__ = ["DEFAULT_VARIANT", "STATE_KEY", "CohortHolder", "current_cohort", "current_tenant", "set_cohort"]

DEFAULT_VARIANT = "default"
STATE_KEY = "slo_variant"  # scope["state"] key (request.state.slo_variant) the recorder also reads


class CohortHolder:
    """The mutable cell shared by every context copy of one request."""

    __slots__ = ("state", "variant")

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.variant: str | None = None
        self.state = state  # the request's scope["state"]: lets outbound calls find the principal


def current_tenant() -> str:
    """The tenant of the request being served (from ``request.state.principal``), or ``""``."""
    holder = _holder.get()
    principal = None if holder is None or holder.state is None else holder.state.get("principal")
    return "" if principal is None else str(getattr(principal, "tenant_id", ""))


_holder: ContextVar[CohortHolder | None] = ContextVar("pavedroad_slo_cohort", default=None)


def set_cohort(variant: str) -> bool:
    """Label the current request with flag variant ``variant``; ``False`` when outside a recorded request."""
    holder = _holder.get()
    if holder is None:
        return False
    holder.variant = str(variant)[:64] or DEFAULT_VARIANT
    return True


def current_cohort() -> str | None:
    """The variant set for the current request so far, or ``None``."""
    holder = _holder.get()
    return None if holder is None else holder.variant
