"""``RunOptions``: how a query runs, apart from what it asks and for whom.

One frozen value travels through every run and explain path (guarded, unrestricted, Postgres, DuckDB,
sync facade or async), so an option is declared, defaulted and documented once, and a path cannot quietly
drop one the others honour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pavedroad.query.limits import Limits

if TYPE_CHECKING:
    from pavedroad.query.compiler import Compiler
    from pavedroad.query.ports import FieldPolicy

__all__ = ["RunOptions"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """``params``: the query's ``$parameters``; ``cursor``: the previous page's ``next_cursor`` (or give it
    as the ``after $name`` parameter); ``limits``: row cap, statement timeout and size bounds; ``compiler``:
    whose compile cache to share (default: the process's); ``now``: the instant relative dates count from
    (default: the compile's clock); ``request_id``: ties the audit event to the request; ``policy``: the
    field policy of an unrestricted driver (a ``QueryGuard`` always sets its own)."""

    params: dict[str, Any] | None = None
    cursor: str | None = None
    limits: Limits = field(default_factory=Limits)
    compiler: Compiler | None = None
    now: datetime | None = None
    request_id: str | None = None
    policy: FieldPolicy | None = None
