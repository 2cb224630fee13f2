"""Who may change flags: a platform operator changes anything; a tenant admin only its own tenant's override.

Every store operation that writes takes an ``Actor`` and checks it here, so the HTTP routes, the dashboard,
the CLI, the canary controller and the Python API share one rule (OWASP API5, function-level
authorization). A flag's definition, its ramp and its global kill switch serve every tenant: only the
platform may change them. The audit trail records the actor's tenant (``None`` for the platform).
"""

from __future__ import annotations

from dataclasses import dataclass

from pavedroad.flags.errors import FlagForbidden
from pavedroad.tenancy import Caller, Operator, Role

__all__ = ["Actor"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The author of a flag change and its reach: ``tenant_id`` ``None`` is the platform (every tenant)."""

    author: str
    tenant_id: str | None = None

    @classmethod
    def platform(cls, author: str) -> Actor:
        """A platform actor: an operator key, the CLI run with the owner URL, the canary controller."""
        return cls(author, None)

    @classmethod
    def of(cls, caller: Caller) -> Actor:
        """The actor behind a verified caller; only tenant admins and operators change flags."""
        if isinstance(caller, Operator):
            return cls.platform(caller.author)
        if caller.role is not Role.ADMIN:
            raise FlagForbidden(f"role '{caller.role.value}' may not change flags", hint="ask an admin of your tenant")
        return cls(f"{caller.tenant_id}:{caller.user_id}", caller.tenant_id)

    @property
    def is_platform(self) -> bool:
        return self.tenant_id is None

    def require_platform(self, what: str) -> None:
        """Refuse a tenant actor a change that reaches every tenant."""
        if self.tenant_id is not None:
            raise FlagForbidden(
                f"{what} changes the flag for every tenant: only a platform operator may do that",
                hint="a tenant admin kills or overrides a flag for its own tenant only (kill with scope 'tenant')",
            )

    def require_tenant(self, tenant: str) -> None:
        """Refuse a tenant actor a change of another tenant's override."""
        if self.tenant_id is not None and self.tenant_id != tenant:
            raise FlagForbidden(
                "that is another tenant's override: a tenant admin changes its own tenant's override only",
                hint=f"act on tenant {self.tenant_id!r}",
            )
