"""One colour per database path: sans-IO statement generators with two thin drivers, and sync facades.

A write that sync callers must run inside their own transaction (the outbox, the audit trail) is written
once, as a generator that yields the ``Execute`` steps it needs and receives what each returned; ``drive``
and ``adrive`` perform those steps on a sync or an async connection. A database error is thrown back into
the generator at the step that caused it, so translating it stays with the statement. Everything else is
async only; ``sync_facade`` gives the edges (CLI, scripts, sync tests) a sync entry by running the one async
path under ``asyncio.run``. So no path is ever written twice, once per colour.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeAlias, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

__all__ = ["Execute", "SqlSteps", "adrive", "drive", "sync_facade"]

T = TypeVar("T")
P = ParamSpec("P")
Rows: TypeAlias = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Execute:
    """Run ``sql`` once with ``params``, or, with ``many``, once per parameter row (pipelined); with
    ``fetch`` the rows come back as dicts (otherwise an empty list)."""

    sql: str
    params: Sequence[object] = ()
    many: Sequence[Sequence[object]] | None = None
    fetch: bool = False


SqlSteps: TypeAlias = Generator[Execute, Rows, T]


def drive(conn: psycopg.Connection, statements: SqlSteps[T]) -> T:
    """Perform ``statements`` on a sync connection (inside the caller's transaction); its result."""
    try:
        step = next(statements)
        while True:
            try:
                with conn.cursor(row_factory=dict_row) as cur:
                    if step.many is not None:
                        cur.executemany(step.sql, step.many)
                    else:
                        cur.execute(step.sql, step.params)
                    rows = cur.fetchall() if step.fetch else []
            except psycopg.Error as exc:
                step = statements.throw(exc)
            else:
                step = statements.send(rows)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def adrive(conn: psycopg.AsyncConnection, statements: SqlSteps[T]) -> T:
    """``drive`` on an async connection."""
    try:
        step = next(statements)
        while True:
            try:
                async with conn.cursor(row_factory=dict_row) as cur:
                    if step.many is not None:
                        await cur.executemany(step.sql, step.many)
                    else:
                        await cur.execute(step.sql, step.params)
                    rows = await cur.fetchall() if step.fetch else []
            except psycopg.Error as exc:
                step = statements.throw(exc)
            else:
                step = statements.send(rows)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def sync_facade(
    fn: Callable[Concatenate[AsyncConnectionPool, P], Awaitable[T]],
) -> Callable[Concatenate[ConnectionPool | str, P], T]:
    """The sync facade of an async database path whose first argument is its pool, for the edges (CLI,
    scripts, sync tests): the one async path driven by ``asyncio.run`` on a short-lived pool of the same
    server and role (``pool``: a sync pool or a URL), so no sync twin of a path is written by hand."""

    def facade(pool: ConnectionPool | str, /, *args: P.args, **kwargs: P.kwargs) -> T:
        conninfo = pool if isinstance(pool, str) else pool.conninfo
        options = {} if isinstance(pool, str) or not isinstance(pool.kwargs, dict) else dict(pool.kwargs)

        async def go() -> T:
            async with AsyncConnectionPool(conninfo, kwargs=options, min_size=1, max_size=2, open=False) as apool:
                return await fn(apool, *args, **kwargs)

        return asyncio.run(go())

    facade.__name__ = facade.__qualname__ = fn.__name__.removeprefix("a")
    facade.__doc__ = f"Sync facade (``tenancy.sync_facade``) of ``{fn.__name__}``: the same path, from sync code."
    facade.__module__ = fn.__module__
    return facade
