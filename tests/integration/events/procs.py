"""Relay and sink as separate processes, for crash tests (``python -m tests.integration.events.procs``).

procs relay <owner_url> <nats_url> <prefix> <stream>
procs sink  <owner_url> <nats_url> <prefix> <stream> <warehouse.duckdb>
"""

from __future__ import annotations

import asyncio
import sys

from pavedroad.events import EventsConfig


def config(prefix: str, stream: str) -> EventsConfig:
    return EventsConfig(
        subject_prefix=prefix, stream=stream, relay_poll_s=0.05, dedup_window_s=120, sink_max_wait_s=0.05
    )


def main(argv: list[str]) -> None:
    kind, owner_url, nats_url, prefix, stream = argv[:5]
    cfg = config(prefix, stream)
    if kind == "relay":
        from pavedroad.events import run_relay

        asyncio.run(run_relay(owner_url, nats_url, cfg))
    elif kind == "sink":
        from pavedroad.recruiting.events import MIRRORED_TABLES, PROJECTIONS
        from pavedroad.warehouse import run_sink

        asyncio.run(
            run_sink(
                nats_url, argv[5], projections=PROJECTIONS, table_names=MIRRORED_TABLES, owner_url=owner_url, config=cfg
            )
        )
    else:
        raise SystemExit(f"unknown process kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
