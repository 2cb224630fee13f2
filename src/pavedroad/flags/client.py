"""The direct fast path: ``flags.client().enabled("key", ctx)`` for hot code.

One dictionary lookup and one call into the flag's compiled closure; no JSON, no allocation beyond a
small tuple. Evaluation never raises: a missing flag, a type mismatch or a broken rule return the
caller's ``default`` (``details`` says why, with OpenFeature reasons and error codes).

The context is a plain mapping: ``tenant`` (tenant id; the default stickiness), ``targetingKey``
(the user or subject), and any attributes the rules read. ``context_for(principal)`` builds one.

>>> from pavedroad.flags import FlagClient, FlagRuntime, StoreState, parse_flag_set
>>> fs = parse_flag_set({"flags": {"new-ui": {"state": "ENABLED", "variants": {"on": True, "off": False},
...     "defaultVariant": "off", "targeting": {"if": [{"in": [{"var": "tenant"}, ["acme"]]}, "on"]}}}})
>>> c = FlagClient(FlagRuntime(state=StoreState(1, fs)))
>>> c.enabled("new-ui", {"tenant": "acme"}), c.enabled("new-ui", {"tenant": "globex"})
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pavedroad.flags.compiled_flag import ErrorCode, Reason, Resolution
from pavedroad.flags.model import flag_kind
from pavedroad.flags.runtime import FlagRuntime

__all__ = ["FlagClient", "client", "configure", "context_for"]

_EMPTY: Mapping[str, Any] = {}
_PROCESS: list[FlagClient] = []


class FlagClient:
    """Evaluates flags from a ``FlagRuntime``'s current snapshot."""

    __slots__ = ("runtime",)

    def __init__(self, runtime: FlagRuntime) -> None:
        self.runtime = runtime

    def enabled(self, key: str, ctx: Mapping[str, Any] = _EMPTY, default: bool = False) -> bool:
        """The boolean value of ``key`` for ``ctx``; ``default`` when it cannot be decided."""
        rt = self.runtime
        if not rt.started:
            rt.start()
        flag = rt.snapshot.flags.get(key)
        if flag is None:
            return default
        variant = flag.resolve(ctx)[0]
        if variant is None:
            return default
        value = flag.values[variant]
        return value if value is True or value is False else default

    def value(self, key: str, default: Any, ctx: Mapping[str, Any] = _EMPTY) -> Any:
        """The value of ``key`` (of ``default``'s type) for ``ctx``; ``default`` when it cannot be decided."""
        return self.details(key, default, ctx).value

    def details(
        self, key: str, default: Any, ctx: Mapping[str, Any] = _EMPTY, *, kind: str | None = None
    ) -> Resolution:
        """The full resolution: value, variant, reason, error code, flag metadata.

        ``kind`` (boolean, string, integer, float, object) is the type the caller expects; by default it
        is taken from ``default``.
        """
        rt = self.runtime
        if not rt.started:
            rt.start()
        flag = rt.snapshot.flags.get(key)
        if flag is None:
            return Resolution(default, None, Reason.ERROR, ErrorCode.FLAG_NOT_FOUND, f"no flag named {key!r}")
        want = kind or _kind_of(default)
        if not _kind_fits(want, flag.kind, flag.values):
            return Resolution(default, None, Reason.ERROR, ErrorCode.TYPE_MISMATCH,
                              f"flag {key!r} holds {flag.kind} values, not {want}", flag.flag.metadata)  # fmt: skip
        if flag.error is not None:
            return Resolution(default, None, Reason.ERROR, ErrorCode.PARSE_ERROR, flag.error, flag.flag.metadata)
        variant, reason = flag.resolve(ctx)
        if reason == Reason.ERROR:
            return Resolution(default, None, reason, ErrorCode.GENERAL,
                              f"flag {key!r}: the targeting rule failed or named an unknown variant",
                              flag.flag.metadata)  # fmt: skip
        if variant is None:
            return Resolution(default, None, reason, None, None, flag.flag.metadata)
        value = flag.values[variant]
        if want == "float" and isinstance(value, int):
            value = float(value)
        return Resolution(value, variant, reason, None, None, flag.flag.metadata)


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, float):
        return "float"
    return flag_kind(default) or "object"


def _kind_fits(want: str, have: str, values: Mapping[str, Any]) -> bool:
    if want == "integer":
        return have == "number" and all(isinstance(v, int) for v in values.values())
    if want == "float":
        return have == "number"
    return want == have


def configure(
    database_url: str | None = None, snapshot_path: Path | None = None, runtime: FlagRuntime | None = None
) -> FlagClient:
    """Set this process's flag runtime (call once at start; nothing connects until the first evaluation)."""
    old = _PROCESS[0].runtime if _PROCESS else None
    if old is not None and old is not runtime:
        old.stop()
    made = FlagClient(runtime or FlagRuntime(database_url, snapshot_path))
    _PROCESS[:] = [made]
    return made


def client() -> FlagClient:
    """The process-wide client. Unconfigured, it follows the settings' database (``PAVEDROAD_APP_DATABASE_URL``
    or one derived from ``PAVEDROAD_DATABASE_URL``) with its snapshot under ``PAVEDROAD_DATA_DIR/flags``."""
    if _PROCESS:
        return _PROCESS[0]
    from pavedroad.db import app_url_from_owner
    from pavedroad.settings import get_settings

    cfg = get_settings()
    url = cfg.app_database_url or (
        app_url_from_owner(cfg.database_url, cfg.app_db_password) if cfg.database_url else None
    )
    return configure(url, cfg.data_dir / "flags" / "snapshot.json")


def context_for(principal: Any, **attributes: Any) -> dict[str, Any]:
    """An evaluation context for a ``pavedroad.tenancy.Principal``: tenant, targetingKey, role, attributes."""
    tenant = principal.tenant_id
    user = principal.user_id
    ctx = {"tenant": tenant, "targetingKey": f"{tenant}:{user}" if user is not None else tenant,
           "role": getattr(principal.role, "value", principal.role)}  # fmt: skip
    ctx.update(attributes)
    return ctx
