"""Who is asking: a tenant's user (tenant, user, role) or a platform operator, always from a verified credential.

The two are different types on purpose: a ``Principal`` always names one tenant and is the only thing a
tenant transaction accepts; an ``Operator`` names no tenant, so it can never open one, and a tenant key
can never become an operator (operator keys are a separate form, issued only with the owner database URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Caller", "Operator", "Principal", "Role", "audit_name"]


class Role(StrEnum):
    """Roles a user holds within one tenant."""

    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    INTERVIEWER = "interviewer"
    COMPLIANCE = "compliance"


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified caller. ``tenant_id`` comes from the credential, never from a request body."""

    tenant_id: str
    user_id: int | None
    role: Role

    def __post_init__(self) -> None:
        if not self.tenant_id:
            raise ValueError("a principal needs a tenant_id")
        object.__setattr__(self, "role", Role(self.role))


@dataclass(frozen=True, slots=True)
class Operator:
    """A platform operator: acts on platform configuration (every tenant), never inside one tenant's data."""

    operator_id: int
    name: str

    @property
    def author(self) -> str:
        """How the operator appears in audit trails."""
        return f"operator:{self.name}"


Caller = Principal | Operator
"""Whoever a platform route may serve: a tenant's user or a platform operator."""


def audit_name(caller: Caller) -> str:
    """How a caller appears in audit trails: ``<tenant>:<user>`` or ``operator:<name>``."""
    if isinstance(caller, Operator):
        return caller.author
    return f"{caller.tenant_id}:{'' if caller.user_id is None else caller.user_id}"
