"""Extension points of the events block: one-method protocols."""

from __future__ import annotations

from typing import Protocol

import psycopg

from pavedroad.events.envelope import Event

__all__ = ["EventHandler"]


class EventHandler(Protocol):
    """Handle one event inside the consumer's transaction (scoped to the event's tenant).

    Raise to have the message redelivered with back-off; raise ``PoisonMessage`` to dead-letter it now.
    Everything written on ``tx`` commits together with the inbox row that makes handling idempotent.
    """

    async def __call__(self, tx: psycopg.AsyncConnection, event: Event) -> None: ...
