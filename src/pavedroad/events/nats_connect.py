"""One way to connect to NATS for the pipeline: reconnect forever, quiet callbacks, a clear error."""

from __future__ import annotations

import nats
import structlog
from nats.aio.client import Client

from pavedroad.errors import Unavailable

__all__ = ["connect_nats"]

_log = structlog.get_logger("pavedroad.events")


async def _on_error(exc: Exception) -> None:
    _log.debug("nats connection error", error=str(exc) or type(exc).__name__)


async def _on_disconnect() -> None:
    _log.info("nats disconnected; reconnecting")


async def connect_nats(url: str, *, name: str = "pavedroad") -> Client:
    """A client that reconnects without limit (buffering publishes meanwhile)."""
    try:
        return await nats.connect(
            servers=[url],
            name=name,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
            connect_timeout=2,
            error_cb=_on_error,
            disconnected_cb=_on_disconnect,
        )
    except Exception as exc:  # noqa: BLE001 - nats-py raises several unrelated types on connect
        raise Unavailable(
            f"cannot connect to NATS at {url}: {exc or type(exc).__name__}",
            hint="check PAVEDROAD_NATS_URL, or unset it to use the embedded server",
        ) from None
