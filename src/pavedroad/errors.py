"""The one exception tree of pavedroad.

Every error carries a stable ``code``, a one-sentence ``message`` and an optional ``hint``; domain errors
know their HTTP status, so the service renders them in one handler and routes never build error bodies.

    PavedroadError                      500  (never raised bare)
    ├── ConfigurationError              500  a setting is invalid; raised at start
    ├── InternalError                   500  an invariant of pavedroad's own code broke (a bug)
    │   └── (InternalCompilerError, in pavedroad.query, adds the query's span)
    ├── InvalidInput                    400  the caller sent something malformed
    │   └── (QueryError lives in pavedroad.query; it adds a source span)
    ├── Unauthenticated                 401  no or unknown credential
    ├── Forbidden                       403  the principal may not do this
    ├── NotFound                        404  no such thing in this tenant
    ├── Conflict                        409  state or idempotency conflict
    ├── LimitExceeded                   422  a size, depth or row limit was hit
    └── Unavailable                     503  a dependency is down or a server could not start
        └── ServerStartError                 an embedded server failed to start
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

__all__ = [
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "InternalError",
    "InvalidInput",
    "LimitExceeded",
    "NotFound",
    "PavedroadError",
    "ServerStartError",
    "Unauthenticated",
    "Unavailable",
    "present",
]

_T = TypeVar("_T")


class PavedroadError(Exception):
    """Root of every error pavedroad raises on purpose; carries code, message, hint and HTTP status."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "E000"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.hint = hint
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the service returns and ``--json`` CLIs print."""
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        body.update(self.details)
        return body

    def render(self) -> str:
        """Human form for the CLI: code, message, then the hint on its own line."""
        text = f"{self.code} {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class ConfigurationError(PavedroadError):
    """A setting is missing or malformed; names the setting and the expected form."""

    default_code = "E001"


class InternalError(PavedroadError):
    """An invariant of pavedroad's own code did not hold: a bug, not the caller's fault (500).

    Invariants are checked with this error, never with ``assert``, so they still hold under ``python -O``."""

    default_code = "E500"


def present(value: _T | None, what: str) -> _T:
    """``value``, which pavedroad's own logic guarantees is there (a row ``INSERT … RETURNING`` gave back);
    ``InternalError`` naming ``what`` if it is missing."""
    if value is None:
        raise InternalError(f"{what} is missing")
    return value


class InvalidInput(PavedroadError):
    """The caller sent something malformed."""

    status = 400
    default_code = "E400"


class Unauthenticated(PavedroadError):
    """No credential, or one that matches nothing."""

    status = 401
    default_code = "E401"


class Forbidden(PavedroadError):
    """The principal is known but may not do this."""

    status = 403
    default_code = "E403"


class NotFound(PavedroadError):
    """Nothing by that id in the caller's tenant (another tenant's rows are also 'not found')."""

    status = 404
    default_code = "E404"


class Conflict(PavedroadError):
    """The request conflicts with current state (e.g. an idempotency key reused with another body)."""

    status = 409
    default_code = "E409"


class LimitExceeded(PavedroadError):
    """A configured limit (size, depth, joins, rows, time) was hit."""

    status = 422
    default_code = "E422"


class Unavailable(PavedroadError):
    """A dependency (database, broker, external service) cannot serve now."""

    status = 503
    default_code = "E503"


class ServerStartError(Unavailable):
    """An embedded server (Postgres, NATS) could not start; the message says why and what to try."""

    default_code = "E504"
