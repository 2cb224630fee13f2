"""The one way application code reaches tenant data.

``transaction(principal)`` opens a transaction on a pooled ``pavedroad_app`` connection and enters the
principal's tenant with ``pavedroad_meta.enter_tenant`` (``set_tenant``): it sets ``app.tenant_id`` (and
user, role) local to the transaction, so nothing leaks to the next borrower of the connection, and signs
it with a key the application role cannot read. The tenant policies accept only a correctly signed
tenant, so a ``set_config('app.tenant_id', …)`` injected into a query reads zero rows; and
``enter_tenant`` refuses a caller without this connection's session key (a secret held only in this
process's memory), so an injected call cannot switch tenants either. Without it, row-level security
yields zero rows.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from pavedroad.errors import Unavailable
from pavedroad.tenancy.principal import Principal

__all__ = ["ENTER_TENANT_SQL", "aset_tenant", "atransaction", "set_tenant", "transaction"]

ENTER_TENANT_SQL = "select pavedroad_meta.enter_tenant(%s, %s, %s, %s)"

# Each connection's session key: chosen here, registered by the server on first use, never sent anywhere
# but as a bound parameter of ENTER_TENANT_SQL (the server keeps only its hash).
_SESSION_KEYS: weakref.WeakKeyDictionary[psycopg.Connection | psycopg.AsyncConnection, str] = (
    weakref.WeakKeyDictionary()
)


def _params(conn: psycopg.Connection | psycopg.AsyncConnection, principal: Principal) -> tuple[str, str, str, str]:
    key = _SESSION_KEYS.get(conn)
    if key is None:
        key = _SESSION_KEYS.setdefault(conn, secrets.token_urlsafe(32))
    user = "" if principal.user_id is None else str(principal.user_id)
    return (key, principal.tenant_id, user, principal.role.value)


def set_tenant(conn: psycopg.Connection, principal: Principal) -> None:
    """Inside the caller's transaction on ``conn``: enter ``principal``'s tenant (undone at its end)."""
    conn.execute(ENTER_TENANT_SQL, _params(conn, principal))


async def aset_tenant(conn: psycopg.AsyncConnection, principal: Principal) -> None:
    """Async twin of ``set_tenant``."""
    await conn.execute(ENTER_TENANT_SQL, _params(conn, principal))


@contextmanager
def transaction(pool: ConnectionPool, principal: Principal) -> Iterator[psycopg.Connection]:
    """A transaction scoped to ``principal``'s tenant; commits on success, rolls back on error."""
    try:
        with pool.connection() as conn, conn.transaction():
            set_tenant(conn, principal)
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
            await aset_tenant(conn, principal)
            yield conn
    except psycopg.OperationalError as exc:
        raise Unavailable(f"the database is unavailable: {str(exc).strip()}") from None


def _pipelined(conn: psycopg.AsyncConnection, on: bool) -> AbstractAsyncContextManager[object]:
    return conn.pipeline() if on else nullcontext()
