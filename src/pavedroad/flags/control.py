"""Ramp control: read a flag's ramp position and move it, with author and reason (the canary's API).

The canary controller (or a person, via ``pavedroad flags ramp``) drives a ramp through four calls:

* ``ramp_position(flag, now)``  → ``RampPosition`` (step, percent, guard, safe step, next change)
* ``move_ramp(key, step)``      → pin the ramp at ``step`` from now (holds count from now)
* ``rollback_ramp(key)``        → back to the last safe step, guard red (the schedule stops)
* ``set_guard(key, green)``     → red pins the current position (the schedule stops advancing);
                                  green records the current step as safe and lets the schedule resume

Each change is a store operation (``store.run``/``store.arun``) that rewrites the flag's ``pavedroad.*``
metadata through ``store.put_flag``: validated, versioned, audited, propagated like any other change, and
(a ramp serves every tenant) made by a platform ``Actor`` only. ``RampController`` and
``AsyncRampController`` wrap them for the platform's own callers (the canary controller): they act as
the platform, with the author they are given.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from pavedroad.flags.access import Actor
from pavedroad.flags.errors import FlagStateConflict
from pavedroad.flags.metadata import FlagMeta, P, read_meta
from pavedroad.flags.model import Flag
from pavedroad.flags.ramp import Step, format_schedule, parse_schedule, schedule_position
from pavedroad.flags.store import Op, arun, get_flag, put_flag, run

__all__ = [
    "AsyncRampController",
    "RampController",
    "RampPosition",
    "move_ramp",
    "ramp_position",
    "rollback_ramp",
    "set_guard",
    "set_ramp",
    "update_ramp",
]


@dataclass(frozen=True, slots=True)
class RampPosition:
    """Where a ramp stands: ``step`` -1 means not started; ``next_change_at`` is ``inf`` when held."""

    key: str
    step: int
    percent: float
    steps: tuple[Step, ...]
    guard: str | None
    safe_step: int
    next_change_at: float
    since: float = 0.0

    @property
    def last_step(self) -> int:
        """Index of the final step (-1 without a schedule)."""
        return len(self.steps) - 1

    @property
    def hold_s(self) -> float | None:
        """How long the current step holds before the schedule moves on (``None``: until moved)."""
        return self.steps[self.step].hold_s if 0 <= self.step < len(self.steps) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "step": self.step,
            "percent": self.percent,
            "schedule": format_schedule(self.steps),
            "guard": self.guard,
            "safe_step": self.safe_step,
            "next_change_at": None if math.isinf(self.next_change_at) else self.next_change_at,
            "since": self.since,
        }


def _meta(definition: dict[str, Any]) -> FlagMeta:
    flag = Flag.model_validate(definition)
    return read_meta(flag.metadata, flag.variants)[0]


def ramp_position(key: str, definition: dict[str, Any], now: float) -> RampPosition:
    """The ramp position of a stored flag definition at ``now`` (pure)."""
    m = _meta(definition)
    if not m.schedule:
        return RampPosition(key, -1, 0.0, (), m.guard, m.safe_step, math.inf, m.ramp_since)
    step, percent, next_at = schedule_position(m.schedule, m.ramp_step, m.ramp_since, green=m.green, now=now)
    since = m.ramp_since
    for s in range(max(m.ramp_step, 0), step):  # holds consumed since the pinned step
        since += m.schedule[s].hold_s or 0.0
    return RampPosition(key, step, percent, m.schedule, m.guard, m.safe_step, next_at, since)


def _with_meta(definition: dict[str, Any], **changes: Any) -> dict[str, Any]:
    meta = dict(definition.get("metadata") or {})
    for name, value in changes.items():
        if value is None:
            meta.pop(P + name, None)
        else:
            meta[P + name] = value
    return {**definition, "metadata": meta}


def set_ramp(key: str, schedule: str, *, rollout: str | None = None, guard: bool = False,
             actor: Actor, reason: str, now: float) -> Op:  # fmt: skip
    """Give ``key`` a ramp schedule, started at its first step now (``guard`` adds a green guard)."""
    parse_schedule(schedule)
    definition = yield from get_flag(key)
    updated = _with_meta(definition, ramp=schedule, rampStep=0, rampSince=now, safeStep=-1,
                         rollout=rollout, guard="green" if guard else None)  # fmt: skip
    return (yield from put_flag(key, updated, actor=actor, reason=reason, action="ramp"))


def move_ramp(key: str, step: int, *, actor: Actor, reason: str, now: float) -> Op:
    """Pin ``key``'s ramp at ``step`` (index into its schedule; -1 = 0%) from ``now``."""
    definition = yield from get_flag(key)
    m = _meta(definition)
    if not m.schedule:
        raise FlagStateConflict(
            f"flag {key!r} has no ramp", hint=f"give it one with `pavedroad flags ramp {key} 1%:1h,100%`"
        )
    if not -1 <= step < len(m.schedule):
        raise FlagStateConflict(f"flag {key!r} has steps 0..{len(m.schedule) - 1}; {step} is outside",
                                hint=f"its schedule is {format_schedule(m.schedule)}")  # fmt: skip
    updated = _with_meta(definition, rampStep=step, rampSince=now)
    return (yield from put_flag(key, updated, actor=actor, reason=reason, action="ramp"))


def rollback_ramp(key: str, *, actor: Actor, reason: str, now: float) -> Op:
    """Back to the last safe step with the guard red, so the schedule does not advance again by itself."""
    definition = yield from get_flag(key)
    m = _meta(definition)
    if not m.schedule:
        raise FlagStateConflict(f"flag {key!r} has no ramp", hint="only ramped flags can be rolled back")
    updated = _with_meta(definition, rampStep=m.safe_step, rampSince=now, guard="red")
    return (yield from put_flag(key, updated, actor=actor, reason=reason, action="ramp"))


def set_guard(key: str, green: bool, *, actor: Actor, reason: str, now: float) -> Op:
    """Turn ``key``'s guard green (current step becomes safe; holds restart) or red (position pinned)."""
    definition = yield from get_flag(key)
    pos = ramp_position(key, definition, now)
    if not pos.steps:
        raise FlagStateConflict(f"flag {key!r} has no ramp to guard", hint="add one with `pavedroad flags ramp`")
    if green:
        updated = _with_meta(definition, guard="green", rampStep=pos.step, rampSince=now, safeStep=pos.step)
    else:
        updated = _with_meta(definition, guard="red", rampStep=pos.step, rampSince=now)
    return (yield from put_flag(key, updated, actor=actor, reason=reason, action="guard"))


def update_ramp(key: str, *, step: int | None = None, safe_step: int | None = None, guard: str | None = None,
                actor: Actor, reason: str, now: float) -> Op:  # fmt: skip
    """The canary's one verb: pin ``step`` (from now), record ``safe_step``, set ``guard``; returns the position.

    Fields left ``None`` are unchanged; setting only ``guard="red"`` pins the current position first, so
    turning the guard red never removes subjects by itself.
    """
    definition = yield from get_flag(key)
    pos = ramp_position(key, definition, now)
    if not pos.steps:
        raise FlagStateConflict(f"flag {key!r} has no ramp", hint=f"give it one with `pavedroad flags ramp {key} ...`")
    for name, value in (("step", step), ("safe_step", safe_step)):
        if value is not None and not -1 <= value <= pos.last_step:
            raise FlagStateConflict(f"{name} {value} is outside flag {key!r}'s steps -1..{pos.last_step}",
                                    hint=f"its schedule is {format_schedule(pos.steps)}")  # fmt: skip
    if guard not in (None, "green", "red"):
        raise FlagStateConflict(f"guard must be 'green' or 'red', got {guard!r}", hint="use green or red")
    changes: dict[str, Any] = {}
    if step is not None:
        changes.update(rampStep=step, rampSince=now)
    elif guard is not None and guard != pos.guard:  # freeze (red) or restart the hold (green) where it stands
        changes.update(rampStep=pos.step, rampSince=now if guard == "green" else pos.since)
    if safe_step is not None:
        changes["safeStep"] = safe_step
    if guard is not None:
        changes["guard"] = guard
    if changes:
        yield from put_flag(key, _with_meta(definition, **changes), actor=actor, reason=reason, action="ramp")
        definition = yield from get_flag(key)
    return ramp_position(key, definition, now)


class RampController:
    """Synchronous facade for the canary controller: each call is one audited transaction."""

    def __init__(self, database_url: str, clock: Callable[[], float] = time.time) -> None:
        self.database_url = database_url
        self.clock = clock

    def _do(self, op: Op) -> Any:
        with psycopg.connect(self.database_url) as conn, conn.transaction():
            return run(conn, op)

    def position(self, key: str) -> RampPosition:
        definition = self._do(get_flag(key))
        return ramp_position(key, definition, self.clock())

    def move_to(self, key: str, step: int, *, author: str, reason: str) -> int | None:
        return self._do(move_ramp(key, step, actor=Actor.platform(author), reason=reason, now=self.clock()))  # type: ignore[no-any-return]

    def back_to_safe(self, key: str, *, author: str, reason: str) -> int | None:
        return self._do(rollback_ramp(key, actor=Actor.platform(author), reason=reason, now=self.clock()))  # type: ignore[no-any-return]

    def set_guard(self, key: str, green: bool, *, author: str, reason: str) -> int | None:
        return self._do(set_guard(key, green, actor=Actor.platform(author), reason=reason, now=self.clock()))  # type: ignore[no-any-return]

    def update(self, key: str, *, step: int | None = None, safe_step: int | None = None, guard: str | None = None,
               author: str, reason: str) -> RampPosition:  # fmt: skip
        """``update_ramp`` in one transaction."""
        op = update_ramp(key, step=step, safe_step=safe_step, guard=guard, actor=Actor.platform(author), reason=reason,
                         now=self.clock())  # fmt: skip
        return self._do(op)  # type: ignore[no-any-return]


class AsyncRampController:
    """The async twin for callers holding an ``AsyncConnectionPool`` (the service, the canary loop)."""

    def __init__(self, pool: AsyncConnectionPool, clock: Callable[[], float] = time.time) -> None:
        self.pool = pool
        self.clock = clock

    async def _do(self, op: Op) -> Any:
        async with self.pool.connection() as conn, conn.transaction():
            return await arun(conn, op)

    async def position(self, key: str) -> RampPosition:
        definition = await self._do(get_flag(key))
        return ramp_position(key, definition, self.clock())

    async def update(self, key: str, *, step: int | None = None, safe_step: int | None = None,
                     guard: str | None = None, author: str, reason: str) -> RampPosition:  # fmt: skip
        """``update_ramp`` in one transaction."""
        op = update_ramp(key, step=step, safe_step=safe_step, guard=guard, actor=Actor.platform(author), reason=reason,
                         now=self.clock())  # fmt: skip
        return await self._do(op)  # type: ignore[no-any-return]
