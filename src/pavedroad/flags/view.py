"""What a tenant may see of a flag: its key, description, state, variants, its own decision and override,
and the ramp's position — never the targeting rules, shared evaluators or metadata, which name other
tenants and platform internals (OWASP API3, property-level authorization).

Every tenant-facing reader (``GET /v1/flags``, ``GET /v1/flags/{key}``, the dashboard's rollouts panel)
builds its answer here, so no route can hand a tenant the stored definition by forgetting a filter; the
platform operator's routes read the store directly. Platform entries of a flag's history keep only the
changes of these visible parts (a created flag's diff would otherwise carry its whole targeting).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pavedroad.flags.client import FlagClient
from pavedroad.flags.compiled_flag import KILL
from pavedroad.flags.control import ramp_position
from pavedroad.flags.diff import json_diff
from pavedroad.flags.metadata import P
from pavedroad.flags.runtime import FlagRuntime
from pavedroad.flags.store import AuditEntry, StoreState

__all__ = ["public_definition", "tenant_flag", "tenant_flags", "tenant_history"]

_VISIBLE = ("state", "variants")
_VISIBLE_META = frozenset({"description"} | {P + k for k in ("ramp", "rampStep", "rampSince", "guard", "safeStep")})


def public_definition(definition: Any) -> Any:
    """The parts of a stored flag definition every tenant may see (``None`` stays ``None``)."""
    if not isinstance(definition, Mapping):
        return definition
    out = {k: definition[k] for k in _VISIBLE if k in definition}
    meta = {k: v for k, v in (definition.get("metadata") or {}).items() if k in _VISIBLE_META}
    if meta:
        out["metadata"] = meta
    return out


def tenant_flags(
    state: StoreState, tenant: str, ctx: Mapping[str, Any], *, now: float | None = None
) -> list[dict[str, Any]]:
    """Every flag as ``tenant`` sees it, evaluated for ``ctx`` (the caller's context), sorted by key."""
    client = FlagClient(FlagRuntime(state=state))
    at = time.time() if now is None else now
    return [_view(client, state, key, tenant=tenant, ctx=ctx, now=at) for key in sorted(state.flag_set.flags)]


def tenant_flag(
    state: StoreState, key: str, tenant: str, ctx: Mapping[str, Any], *, now: float | None = None
) -> dict[str, Any]:
    """Flag ``key`` (present in ``state``) as ``tenant`` sees it, evaluated for ``ctx``."""
    at = time.time() if now is None else now
    return _view(FlagClient(FlagRuntime(state=state)), state, key, tenant=tenant, ctx=ctx, now=at)


def tenant_history(entries: list[AuditEntry], tenant: str) -> list[dict[str, Any]]:
    """History entries for ``tenant`` (already limited to its own and the platform's by ``store.history``):
    a platform entry keeps only the changes of the parts ``public_definition`` shows."""
    shown = []
    for entry in entries:
        seen = entry.seen_by(tenant)
        if seen.tenant_id is None:
            seen = replace(seen, diff=_public_diff(seen.diff))
        shown.append(seen.to_json(with_tenant=False))
    return shown


def _view(
    client: FlagClient, state: StoreState, key: str, *, tenant: str, ctx: Mapping[str, Any], now: float
) -> dict[str, Any]:
    flag = state.flag_set.flags[key]
    kind = "float" if flag.kind == "number" else flag.kind
    decision = client.details(key, None, ctx, kind=kind)
    own = state.overrides.get(key, {}).get(tenant)
    pos = ramp_position(key, flag.to_json(), now)
    description = flag.metadata.get("description")
    return {
        "key": key,
        "description": description if isinstance(description, str) else None,
        "state": flag.state,
        "type": flag.kind,
        "variants": dict(flag.variants),
        "value": decision.value,
        "variant": decision.variant,
        "reason": decision.reason,
        "tenant_override": None if own is None else ("killed" if own == KILL else own),
        "ramp": pos.to_json() if pos.steps else None,
    }


def _public_diff(diff: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for change in diff:
        path = str(change.get("path", ""))
        top, _, rest = path.partition(".")
        if path == "$":
            out.extend(json_diff(public_definition(change["before"]), public_definition(change["after"])))
        elif path == "metadata":
            before = public_definition({"metadata": change["before"]})
            out.extend(json_diff(before, public_definition({"metadata": change["after"]})))
        elif top in _VISIBLE or (top == "metadata" and rest in _VISIBLE_META):
            out.append(change)
    return out
