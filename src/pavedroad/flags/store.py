"""The flag store in Postgres: versioned flags, per-tenant overrides, an audit row for every change.

Operations are written once, sans I/O: each is a generator that yields ``(sql, params)`` and receives
the rows, so one definition runs on a sync connection (CLI, watcher: ``run``) and on an async one
(service: ``arun``). Every mutation, in one transaction: bump ``flag_state.version``, change the rows,
insert a ``flag_audit`` row (diff, author, reason, before, after), ``pg_notify('pavedroad_flags',
version)``. Callers open the transaction; the notification is delivered on commit.

Every write takes an ``Actor`` (``flags.access``) and checks it before touching a row: a tenant admin
may change only its own tenant's override; flag definitions, ramps and global kills are the platform's.
Changes are validated before they are written (``validate.check_flag``); flags are stamped with the
current hash version (``pavedroad.hashVersion``) so a later pavedroad never re-buckets them silently.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pavedroad.flags.access import Actor
from pavedroad.flags.bucketing import DEFAULT_HASH_VERSION
from pavedroad.flags.compiled_flag import KILL
from pavedroad.flags.diff import json_diff
from pavedroad.flags.errors import FlagNotFound, InvalidFlagSet
from pavedroad.flags.flagset_validation import check_flag
from pavedroad.flags.metadata import P
from pavedroad.flags.model import Flag, FlagSet, parse_flag_set

__all__ = [
    "CHANNEL",
    "Actor",
    "AuditEntry",
    "StoreState",
    "arun",
    "delete_flag",
    "get_flag",
    "history",
    "import_flag_set",
    "load_state",
    "put_flag",
    "revert",
    "run",
    "set_override",
]

CHANNEL = "pavedroad_flags"
Query = tuple[str, tuple[Any, ...]]
Rows = list[tuple[Any, ...]]
Op = Generator[Query, Rows, Any]


@dataclass(frozen=True)
class StoreState:
    """Everything a process needs to evaluate: version, flag set, overrides (flag → tenant → variant/KILL)."""

    version: int
    flag_set: FlagSet
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The on-disk last-known-good form."""
        return {"version": self.version, "flag_set": self.flag_set.to_json(), "overrides": self.overrides}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> StoreState:
        return cls(int(doc["version"]), parse_flag_set(doc["flag_set"]), dict(doc.get("overrides") or {}))


@dataclass(frozen=True)
class AuditEntry:
    """One audited change."""

    id: int
    version: int
    at: str
    flag_key: str
    tenant_id: str | None
    action: str
    author: str
    reason: str
    diff: list[dict[str, Any]]
    actor_tenant: str | None = None

    def seen_by(self, tenant: str) -> AuditEntry:
        """The entry as ``tenant`` may see it: a platform change keeps its diff but not who made it or why."""
        if self.actor_tenant == tenant:
            return self
        return replace(self, author="platform", reason="(platform change)", actor_tenant=None)

    def to_json(self, *, with_tenant: bool = True) -> dict[str, Any]:
        """The entry as the CLI and ``/v1/flags/{key}`` show it (the API leaves out the tenant: a caller
        sees only its own tenant's and global entries)."""
        out = {"id": self.id, "version": self.version, "at": self.at, "action": self.action,
               "author": self.author, "reason": self.reason, "diff": self.diff}  # fmt: skip
        if with_tenant:
            out["tenant"] = self.tenant_id
        return out


def run(conn: psycopg.Connection[Any], op: Op) -> Any:
    """Drive ``op`` on a sync connection (inside the caller's transaction)."""
    try:
        query = next(op)
        while True:
            cur = conn.execute(query[0], query[1])
            query = op.send(cur.fetchall() if cur.description else [])
    except StopIteration as done:
        return done.value


async def arun(conn: psycopg.AsyncConnection[Any], op: Op) -> Any:
    """Drive ``op`` on an async connection (inside the caller's transaction)."""
    try:
        query = next(op)
        while True:
            cur = await conn.execute(query[0], query[1])
            query = op.send(await cur.fetchall() if cur.description else [])
    except StopIteration as done:
        return done.value


# --- reads -----------------------------------------------------------------------------------------


def load_state() -> Op:
    """The whole store as a ``StoreState`` (one consistent read inside the caller's transaction)."""
    version = (yield ("select version from pavedroad_meta.flag_state where id = 1", ()))[0][0]
    flags = yield ("select key, definition from pavedroad_meta.flags order by key", ())
    evaluators = yield ("select name, definition from pavedroad_meta.flag_evaluators order by name", ())
    rows = yield ("select flag_key, tenant_id, variant, killed from pavedroad_meta.flag_overrides", ())
    overrides: dict[str, dict[str, str]] = {}
    for key, tenant, variant, killed in rows:
        overrides.setdefault(key, {})[tenant] = KILL if killed else variant
    doc: dict[str, Any] = {"flags": dict(flags), "$evaluators": dict(evaluators)}
    return StoreState(int(version), parse_flag_set(doc), overrides)


def get_flag(key: str) -> Op:
    """The stored flagd JSON of ``key``, or ``FlagNotFound``."""
    rows = yield ("select definition from pavedroad_meta.flags where key = %s", (key,))
    if not rows:
        raise FlagNotFound(f"no flag named {key!r}", hint="`pavedroad flags list` shows the flags")
    return rows[0][0]


def history(key: str, limit: int = 20, *, tenant: str | None = None) -> Op:
    """The latest audit entries of ``key``, newest first: all of them for the platform (``tenant`` None);
    for a tenant, its own override's entries and the platform's (``AuditEntry.seen_by``), never another
    tenant's."""
    rows = yield (
        "select id, version, at::text, flag_key, tenant_id, action, author, reason, diff, actor_tenant"
        " from pavedroad_meta.flag_audit where flag_key = %s"
        " and (%s::text is null or tenant_id is null or tenant_id = %s) order by id desc limit %s",
        (key, tenant, tenant, limit),
    )
    entries = [AuditEntry(*row) for row in rows]
    return entries if tenant is None else [e.seen_by(tenant) for e in entries]


# --- writes ----------------------------------------------------------------------------------------


def _bump() -> Op:
    rows = yield ("update pavedroad_meta.flag_state set version = version + 1 where id = 1 returning version", ())
    return int(rows[0][0])


def _audit(  # noqa: PLR0917 - private helper; every call site passes all eight in the same order
    version: int, key: str, tenant: str | None, action: str, actor: Actor, reason: str, before: Any, after: Any
) -> Op:
    if not actor.author.strip() or not reason.strip():
        raise InvalidFlagSet("every flag change needs an author and a reason", hint="pass --author and --reason")
    yield (
        "insert into pavedroad_meta.flag_audit (version, flag_key, tenant_id, action, author, reason, before, after,"
        " diff, actor_tenant) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (version, key, tenant, action, actor.author, reason, Jsonb(before), Jsonb(after),
         Jsonb(json_diff(before, after)), actor.tenant_id),
    )  # fmt: skip
    yield ("select pg_notify(%s, %s)", (CHANNEL, str(version)))


def _evaluators() -> Op:
    rows = yield ("select name, definition from pavedroad_meta.flag_evaluators", ())
    return dict(rows)


def normalize(key: str, definition: Any, evaluators: dict[str, Any]) -> dict[str, Any]:
    """Validate one flag strictly and stamp its hash version; ``InvalidFlagSet`` lists the problems."""
    try:
        flag = Flag.model_validate(definition)
    except Exception as exc:  # noqa: BLE001 - any model error becomes one readable InvalidFlagSet
        raise InvalidFlagSet(f"flag {key!r} is not a valid flagd flag: {exc}", hint="see docs/flags.md") from None
    issues = check_flag(key, flag, evaluators)
    if issues:
        raise InvalidFlagSet(f"flag {key!r} is invalid: {'; '.join(issues)}", hint="fix it, or run `flags lint`",
                             issues=issues)  # fmt: skip
    doc = flag.to_json()
    doc["metadata"] = {**doc.get("metadata", {})}
    doc["metadata"].setdefault(P + "hashVersion", DEFAULT_HASH_VERSION)
    return doc


def put_flag(key: str, definition: Any, *, actor: Actor, reason: str, action: str = "set") -> Op:
    """Create or replace flag ``key`` (platform only); returns the new store version."""
    actor.require_platform(f"a {action} of flag {key!r}")
    evaluators = yield from _evaluators()
    after = normalize(key, definition, evaluators)
    rows = yield ("select definition from pavedroad_meta.flags where key = %s for update", (key,))
    before = rows[0][0] if rows else None
    if before == after:
        return None
    version = yield from _bump()
    yield (
        "insert into pavedroad_meta.flags (key, definition, version, updated_by) values (%s, %s, %s, %s)"
        " on conflict (key) do update set definition = excluded.definition, version = excluded.version,"
        " updated_at = now(), updated_by = excluded.updated_by",
        (key, Jsonb(after), version, actor.author),
    )
    yield from _audit(version, key, None, action if before else "create", actor, reason, before, after)
    return version


def delete_flag(key: str, *, actor: Actor, reason: str) -> Op:
    """Remove flag ``key`` (platform only); the audit row keeps it for ``revert``."""
    actor.require_platform(f"deleting flag {key!r}")
    before = yield from get_flag(key)
    version = yield from _bump()
    yield ("delete from pavedroad_meta.flags where key = %s", (key,))
    yield from _audit(version, key, None, "delete", actor, reason, before, None)
    return version


def import_flag_set(flag_set: FlagSet, *, actor: Actor, reason: str) -> Op:
    """Write every evaluator and flag of a flag set (platform only; one audit row per changed flag)."""
    actor.require_platform("importing a flag set")
    for name, rule in flag_set.evaluators.items():
        yield (
            "insert into pavedroad_meta.flag_evaluators (name, definition, version) values (%s, %s, 0)"
            " on conflict (name) do update set definition = excluded.definition, updated_at = now()",
            (name, Jsonb(rule)),
        )
    version = None
    for key, flag in flag_set.flags.items():
        version = (yield from put_flag(key, flag.to_json(), actor=actor, reason=reason, action="import")) or version
    return version


def set_override(tenant: str, key: str, *, variant: str | None, killed: bool, actor: Actor, reason: str,
                 action: str = "override") -> Op:  # fmt: skip
    """Set (or with ``variant=None, killed=False`` clear) tenant ``tenant``'s override of ``key``
    (the platform, or an admin of ``tenant``)."""
    actor.require_tenant(tenant)
    definition = yield from get_flag(key)
    if variant is not None and variant not in definition["variants"]:
        raise InvalidFlagSet(f"flag {key!r} has no variant {variant!r}",
                             hint=f"variants: {', '.join(sorted(definition['variants']))}")  # fmt: skip
    rows = yield (
        "select variant, killed from pavedroad_meta.flag_overrides where tenant_id = %s and flag_key = %s for update",
        (tenant, key),
    )
    before = {"variant": rows[0][0], "killed": rows[0][1]} if rows else None
    after = {"variant": variant, "killed": killed} if (variant is not None or killed) else None
    if before == after:
        return None
    version = yield from _bump()
    if after is None:
        yield ("delete from pavedroad_meta.flag_overrides where tenant_id = %s and flag_key = %s", (tenant, key))
    else:
        yield (
            "insert into pavedroad_meta.flag_overrides (tenant_id, flag_key, variant, killed, version, updated_by)"
            " values (%s, %s, %s, %s, %s, %s) on conflict (tenant_id, flag_key) do update set"
            " variant = excluded.variant, killed = excluded.killed, version = excluded.version,"
            " updated_at = now(), updated_by = excluded.updated_by",
            (tenant, key, variant, killed, version, actor.author),
        )
    yield from _audit(version, key, tenant, action, actor, reason, before, after)
    return version


def revert(key: str, *, actor: Actor, reason: str, audit_id: int | None = None) -> Op:
    """Undo the latest change of ``key`` (or audit entry ``audit_id``) as a new, audited change.

    For a tenant actor "the latest change" is the latest change of its own override; reverting any other
    entry is refused by the operation the revert becomes (``set_override`` or ``put_flag``).
    """
    scope = actor.tenant_id if audit_id is None else None
    rows = yield (
        "select id, tenant_id, before from pavedroad_meta.flag_audit where flag_key = %s"
        " and (%s::bigint is null or id = %s) and (%s::text is null or tenant_id = %s) and action <> 'revert'"
        " order by id desc limit 1",
        (key, audit_id, audit_id, scope, scope),
    )
    if not rows:
        raise FlagNotFound(
            f"no change of {key!r} to revert" + ("" if scope is None else f" in tenant {scope!r}'s override"),
            hint="`pavedroad flags show KEY` lists its history",
        )
    entry_id, tenant, before = rows[0]
    why = f"{reason} (revert of change #{entry_id})"
    if tenant is not None:
        b = before or {}
        return (yield from set_override(tenant, key, variant=b.get("variant"), killed=bool(b.get("killed")),
                                        actor=actor, reason=why, action="revert"))  # fmt: skip
    if before is None:
        return (yield from delete_flag(key, actor=actor, reason=why))
    return (yield from put_flag(key, before, actor=actor, reason=why, action="revert"))
