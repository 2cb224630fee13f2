"""The dead-letter stream: list what failed, replay it to the consumer that failed it.

A replayed message goes back to its original subject with a fresh ``Nats-Msg-Id`` (the original id is
still inside the dedup window, maybe) and a ``Pavedroad-Replay-For`` header naming the consumer: other
consumers and the warehouse sink acknowledge and skip it, and the named consumer's inbox still makes
handling idempotent. A replayed dead letter is deleted from the dead-letter stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import nats.js.errors
from nats.js import JetStreamContext

from pavedroad.errors import NotFound
from pavedroad.events.config import EventsConfig
from pavedroad.events.consumer import REPLAY_HEADER

__all__ = ["DeadLetter", "dlq_size", "list_dead_letters", "replay_dead_letters"]


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    consumer: str
    subject: str
    stream_seq: int
    attempts: int
    error: str
    event_id: str | None
    event_type: str | None
    data: bytes


def _parse(seq: int, headers: dict[str, str], data: bytes) -> DeadLetter:
    event_id: str | None = None
    event_type: str | None = None
    try:
        body = json.loads(data)
        event_id, event_type = str(body.get("id")), str(body.get("type"))
    except (ValueError, AttributeError):
        pass
    return DeadLetter(
        seq=seq,
        consumer=headers.get("Pavedroad-Consumer", "?"),
        subject=headers.get("Pavedroad-Original-Subject", "?"),
        stream_seq=int(headers.get("Pavedroad-Stream-Seq", "0")),
        attempts=int(headers.get("Pavedroad-Attempts", "0")),
        error=headers.get("Pavedroad-Error", ""),
        event_id=event_id,
        event_type=event_type,
        data=data,
    )


async def dlq_size(js: JetStreamContext, config: EventsConfig) -> int:
    try:
        info = await js.stream_info(config.dlq_stream)
    except nats.js.errors.NotFoundError:
        return 0
    return int(info.state.messages or 0)


async def list_dead_letters(
    js: JetStreamContext, config: EventsConfig, *, consumer: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """Dead letters oldest first (optionally of one consumer), at most ``limit``."""
    try:
        info = await js.stream_info(config.dlq_stream)
    except nats.js.errors.NotFoundError:
        return []
    out: list[DeadLetter] = []
    seq = int(info.state.first_seq or 1)
    last = int(info.state.last_seq or 0)
    while seq <= last and len(out) < limit:
        try:
            raw = await js.get_msg(config.dlq_stream, seq)
        except nats.js.errors.NotFoundError:
            seq += 1
            continue
        letter = _parse(seq, dict(raw.headers or {}), raw.data or b"")
        if consumer is None or letter.consumer == consumer:
            out.append(letter)
        seq += 1
    return out


async def replay_dead_letters(
    js: JetStreamContext,
    config: EventsConfig,
    *,
    consumer: str | None = None,
    seqs: list[int] | None = None,
    limit: int = 1000,
) -> list[DeadLetter]:
    """Republish dead letters (all, one consumer's, or the given DLQ sequences); return what was replayed."""
    letters = await list_dead_letters(js, config, consumer=consumer, limit=limit if seqs is None else 1_000_000)
    if seqs is not None:
        wanted = set(seqs)
        letters = [d for d in letters if d.seq in wanted]
        missing = wanted - {d.seq for d in letters}
        if missing:
            raise NotFound(f"no dead letters with sequence {sorted(missing)}", hint="see `pavedroad events dlq list`")
    for letter in letters:
        await js.publish(
            letter.subject,
            letter.data,
            headers={"Nats-Msg-Id": f"{letter.event_id}:replay:{letter.seq}", REPLAY_HEADER: letter.consumer},
        )
        await js.delete_msg(config.dlq_stream, letter.seq)
    return letters
