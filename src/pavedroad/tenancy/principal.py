"""Who is asking: the tenant, the user and the role, always taken from a verified credential."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Principal", "Role"]


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
