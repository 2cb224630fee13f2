"""Errors of the flags block: each is a ``pavedroad.errors`` subclass with a stable ``F`` code and a hint.

Evaluation never raises these: a bad flag resolves to the caller's default with an OpenFeature error
code. They are raised where a person can act on them: loading, validating and changing flags.
"""

from __future__ import annotations

from pavedroad.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = ["FlagForbidden", "FlagNotFound", "FlagStateConflict", "InvalidFlagSet"]


class InvalidFlagSet(InvalidInput):
    """A flag file or change does not match the flagd flag format (or our metadata additions)."""

    default_code = "F400"


class FlagNotFound(NotFound):
    """No flag with that key exists in the store."""

    default_code = "F404"


class FlagStateConflict(Conflict):
    """The change does not fit the flag's current state (e.g. a ramp step beyond the schedule)."""

    default_code = "F409"


class FlagForbidden(Forbidden):
    """The actor may not make this change (a tenant admin acting beyond its own tenant's override)."""

    default_code = "F403"
