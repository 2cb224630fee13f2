"""The one way application code reaches tenant data.

``transaction(principal)`` opens a transaction on a pooled ``pavedroad_app`` connection and sets
``app.tenant_id`` (and user, role) with ``set_config(..., true)``: local to the transaction, so nothing
leaks to the next borrower of the connection. Without it, row-level security yields zero rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.errors import Unavailable
from pavedroad.tenancy.principal import Principal

__all__ = ["SET_CONTEXT_SQL", "atransaction", "context_params", "transaction"]

SET_CONTEXT_SQL = (
    "select set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true),"
    " set_config('app.role', %s, true)"
)


def context_params(principal: Principal) -> tuple[str, str, str]:
    """Parameters for ``SET_CONTEXT_SQL``."""
    return (principal.tenant_id, "" if principal.user_id is None else str(principal.user_id), principal.role.value)


@contextmanager
def transaction(pool: ConnectionPool, principal: Principal) -> Iterator[psycopg.Connection]:
    """A transaction scoped to ``principal``'s tenant; commits on success, rolls back on error."""
    try:
        with pool.connection() as conn, conn.transaction():
            conn.execute(SET_CONTEXT_SQL, context_params(principal))
            yield conn
    except psycopg.OperationalError as exc:
        raise Unavailable(f"the database is unavailable: {str(exc).strip()}") from None


@asynccontextmanager
async def atransaction(
    pool: AsyncConnectionPool, principal: Principal, *, pipeline: bool = False
) -> AsyncIterator[psycopg.AsyncConnection]:
    """Async twin of ``transaction``. ``pipeline``: the connection runs in pipeline mode, so statements
    travel together until a result is fetched — BEGIN and the context go with the first query, and the
    last statements with the COMMIT, whose outcome is still known before the block is left."""
    try:
        async with pool.connection() as conn, _pipelined(conn, pipeline), conn.transaction():
            await conn.execute(SET_CONTEXT_SQL, context_params(principal))
            yield conn
    except psycopg.OperationalError as exc:
        raise Unavailable(f"the database is unavailable: {str(exc).strip()}") from None


def _pipelined(conn: psycopg.AsyncConnection, on: bool) -> AbstractAsyncContextManager[object]:
    return conn.pipeline() if on else nullcontext()
