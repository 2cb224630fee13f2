"""API keys: issuing them, and authenticating a key to its caller, with a cache that a revocation empties at once.

Tenant key form: ``pr_<tenant>_<secret>``. Authentication hashes the key and looks the hash up with
row-level security scoped to the claimed tenant, so a key can never resolve to another tenant and
authentication never needs a cross-tenant query. The tenant therefore always comes from the credential.

Operator key form: ``prop_<secret>``: a credential of its own, never a tenant key. Its hash is looked up
in ``pavedroad_meta.operator_keys``, whose row-level security shows the application role only the row of
the hash it presents (it can never list operators). It resolves to an ``Operator``, which names no tenant.

Revocation: verified keys are cached per connection pool (``cache_for``), but only while a listener for
that pool's database is connected on ``pavedroad_auth`` (``follow_revocations``, one per service
process). A trigger notifies on every change to api keys, users and operator keys; each notification
empties the cache, so a revoked key is refused by every process as soon as the notification arrives
(milliseconds after commit). A pool without a connected listener does not cache.

This module knows no HTTP: ``pavedroad.service.auth`` reads the key from the request and calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from pavedroad.errors import Forbidden, Unauthenticated
from pavedroad.tenancy.principal import Caller, Operator, Principal, Role
from pavedroad.tenancy.transaction import atransaction

__all__ = [
    "AUTH_CHANNEL",
    "AuthCache",
    "authenticate",
    "authenticate_caller",
    "cache_for",
    "follow_revocations",
    "hash_key",
    "issue_key",
    "issue_operator_key",
    "parse_key",
]

AUTH_CHANNEL = "pavedroad_auth"
OPERATOR_PREFIX = "prop_"
_KEY_RE = re.compile(r"^pr_([a-z][a-z0-9_-]{1,62})_([A-Za-z0-9]{20,64})$")
_OPERATOR_KEY_RE = re.compile(r"^prop_[A-Za-z0-9]{32,64}$")
_log = structlog.get_logger("pavedroad.auth")


class AuthCache:
    """Verified key hashes → callers, trusted only while a revocation listener of this process is connected.

    ``invalidate`` bumps ``generation``; a lookup that started before an invalidation does not store its
    (possibly stale) answer, so a revocation racing a request cannot leave the revoked key cached.
    """

    def __init__(self, ttl_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.clock = ttl_s, clock
        self.generation = 0
        self.listening = 0  # connected revocation listeners in this process
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._changed = threading.Condition()

    def listener_up(self) -> None:
        with self._changed:
            self.listening += 1
            self._invalidate_locked()  # anything cached before we listened may be stale

    def listener_down(self) -> None:
        with self._changed:
            self.listening -= 1
            self._invalidate_locked()

    def get(self, digest: str) -> Caller | None:
        if not self.listening:
            return None
        hit = self._entries.get(digest)
        return hit[1] if hit is not None and hit[0] > self.clock() else None

    def put(self, digest: str, caller: Caller, generation: int) -> None:
        if self.listening and generation == self.generation:
            self._entries[digest] = (self.clock() + self.ttl_s, caller)

    def invalidate(self) -> None:
        with self._changed:
            self._invalidate_locked()

    def _invalidate_locked(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._changed.notify_all()

    def wait_for_invalidation(self, after: int, timeout: float) -> bool:
        """Block until ``generation`` passes ``after`` (tests and benchmarks use it; never the service)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation > after, timeout)

    def wait_listening(self, timeout: float) -> bool:
        """Block until a revocation listener is connected (tests use it; never the service)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.listening > 0, timeout)


_CACHES: weakref.WeakKeyDictionary[AsyncConnectionPool, AuthCache] = weakref.WeakKeyDictionary()


def cache_for(pool: AsyncConnectionPool) -> AuthCache:
    """The key cache of ``pool``'s database: used only while a listener for that database is connected."""
    cache = _CACHES.get(pool)
    if cache is None:
        cache = _CACHES[pool] = AuthCache()
    return cache


def hash_key(key: str) -> str:
    """What is stored: the SHA-256 of the whole key (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _secret(nbytes: int) -> str:
    return secrets.token_urlsafe(nbytes).replace("-", "x").replace("_", "y")


def issue_key(tenant_id: str) -> str:
    """A new random key for ``tenant_id``; store only ``hash_key`` of it."""
    return f"pr_{tenant_id}_{_secret(24)}"


def issue_operator_key() -> str:
    """A new random platform operator key; store only ``hash_key`` of it (``pavedroad operator issue``)."""
    return f"{OPERATOR_PREFIX}{_secret(32)}"


def parse_key(key: str) -> str:
    """The tenant a key claims, or ``Unauthenticated`` when it is not of our form."""
    match = _KEY_RE.match(key)
    if match is None:
        raise Unauthenticated(
            "the API key is malformed",
            hint="send 'Authorization: Bearer pr_<tenant>_<secret>' with a key from `pavedroad demo`",
        )
    return match.group(1)


async def _tenant_user(pool: AsyncConnectionPool, key: str, digest: str) -> Principal:
    tenant = parse_key(key)
    lookup = Principal(tenant, None, Role.INTERVIEWER)  # scope for the lookup itself; the role is unused
    async with atransaction(pool, lookup) as conn:
        row = await (
            await conn.execute(
                "select u.id, u.role from api_keys k join users u"
                " on u.tenant_id = k.tenant_id and u.id = k.user_id"
                " where k.tenant_id = %s and k.key_hash = %s and k.revoked_at is null and u.active",
                (tenant, digest),
            )
        ).fetchone()
    if row is None:
        raise Unauthenticated("the API key is unknown or revoked", hint="ask an admin of your tenant for a new key")
    return Principal(tenant, int(row[0]), Role(row[1]))


async def _operator(pool: AsyncConnectionPool, key: str, digest: str) -> Operator:
    if _OPERATOR_KEY_RE.match(key) is None:
        raise Unauthenticated("the operator key is malformed", hint="issue one with `pavedroad operator issue`")
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("select set_config('pavedroad.operator_key_hash', %s, true)", (digest,))
        cur = await conn.execute(
            "select id, name from pavedroad_meta.operator_keys where key_hash = %s and revoked_at is null", (digest,)
        )
        row = await cur.fetchone()
    if row is None:
        raise Unauthenticated("the operator key is unknown or revoked", hint="`pavedroad operator issue` makes one")
    return Operator(int(row[0]), str(row[1]))


async def authenticate_caller(pool: AsyncConnectionPool, key: str) -> Caller:
    """Resolve a tenant or operator key to its caller, or raise ``Unauthenticated``."""
    digest = hash_key(key)
    cache = cache_for(pool)
    cached = cache.get(digest)
    if cached is not None:
        return cached
    generation = cache.generation
    caller: Caller
    if key.startswith(OPERATOR_PREFIX):
        caller = await _operator(pool, key, digest)
    else:
        caller = await _tenant_user(pool, key, digest)
    cache.put(digest, caller, generation)
    return caller


async def authenticate(pool: AsyncConnectionPool, key: str) -> Principal:
    """Resolve a tenant API key to its principal; an operator key gets 403 (it acts on no tenant's data)."""
    caller = await authenticate_caller(pool, key)
    if isinstance(caller, Operator):
        raise Forbidden(
            "a platform operator key cannot act inside a tenant",
            hint="use a tenant's API key here; operator keys serve the platform routes (flags, canary)",
        )
    return caller


async def follow_revocations(url: str, stop: asyncio.Event, cache: AuthCache) -> None:
    """LISTEN on ``pavedroad_auth`` until ``stop``; every notification empties ``cache``.

    The cache is trusted only while connected (``cache.listening``): on connect and on any loss it is
    emptied, and a heartbeat every few seconds notices a connection that died silently.
    """
    backoff = 0.1
    while not stop.is_set():
        try:
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=3)
            try:
                await conn.execute(f"LISTEN {AUTH_CHANNEL}")
                cache.listener_up()
                backoff = 0.1
                try:
                    await _listen(conn, stop, cache)
                finally:
                    cache.listener_down()
            finally:
                await conn.close()
        except Exception as exc:  # noqa: BLE001 - the listener outlives any lost connection
            if stop.is_set():
                return
            _log.warning("auth revocation listener lost the database; not caching keys", error=str(exc)[:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, 5.0)


async def _listen(conn: psycopg.AsyncConnection[object], stop: asyncio.Event, cache: AuthCache) -> None:
    beat = time.monotonic()
    while not stop.is_set():
        async for _ in conn.notifies(timeout=0.25):
            cache.invalidate()
        if time.monotonic() - beat > 2.0:
            await asyncio.wait_for(conn.execute("select 1"), 1.0)
            beat = time.monotonic()
