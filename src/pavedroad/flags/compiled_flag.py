"""Compiled evaluation: each flag becomes a ``CompiledFlag`` whose ``resolve(context)`` never raises.

Order of decision for one context (a mapping with ``tenant``, ``targetingKey`` and any attributes):

1. flag ``DISABLED`` (the global kill switch)           → caller's default, reason ``DISABLED``
2. per-tenant kill switch                               → caller's default, reason ``DISABLED``
3. per-tenant override                                  → that variant, ``TARGETING_MATCH``
4. targeting rule (compiled flagd JSON Logic), non-null → its variant, ``TARGETING_MATCH``
5. ramp (``pavedroad.ramp``): subject inside an anchored slice (and its tenant under the blast-radius
   cap)                                                 → the slice's variant, ``SPLIT``
6. ``defaultVariant``                                   → ``STATIC`` (no rules) or ``DEFAULT``;
   no default variant                                   → caller's default, ``DEFAULT``

Errors resolve to the caller's default with reason ``ERROR`` and an OpenFeature error code:
``PARSE_ERROR`` (the rule could not be compiled), ``GENERAL`` (a rule named an unknown variant or
failed at run time); ``FLAG_NOT_FOUND`` and ``TYPE_MISMATCH`` are decided by the client.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pavedroad.flags.bucketing import hasher
from pavedroad.flags.metadata import FlagMeta, read_meta
from pavedroad.flags.model import Flag, FlagSet
from pavedroad.flags.ramp import SPACE, anchored_ranges, schedule_position
from pavedroad.flags.rule_codegen import build
from pavedroad.flags.rule_compiler import RuleError, compile_expression

__all__ = ["KILL", "CompiledFlag", "ErrorCode", "Reason", "Resolution", "Snapshot", "compile_flag", "compile_snapshot"]

KILL = "\x00kill"  # an override value meaning "kill switch on for this tenant"


class Reason:
    """OpenFeature resolution reasons."""

    STATIC = "STATIC"
    DEFAULT = "DEFAULT"
    TARGETING_MATCH = "TARGETING_MATCH"
    SPLIT = "SPLIT"
    DISABLED = "DISABLED"
    ERROR = "ERROR"


class ErrorCode:
    """OpenFeature error codes."""

    FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
    PARSE_ERROR = "PARSE_ERROR"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
    GENERAL = "GENERAL"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The full answer for one evaluation: value, variant, reason, error code and message, metadata."""

    value: Any
    variant: str | None
    reason: str
    error_code: str | None = None
    error_message: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


Resolver = Callable[[Mapping[str, Any]], tuple[str | None, str]]


class CompiledFlag:
    """One flag, ready to evaluate: ``resolve(ctx) -> (variant | None, reason)``; ``None`` = caller default."""

    __slots__ = ("_ramp", "error", "flag", "key", "kind", "meta", "resolve", "values")

    def __init__(self, key: str, flag: Flag, meta: FlagMeta, error: str | None) -> None:
        self.key = key
        self.flag = flag
        self.meta = meta
        self.kind = flag.kind
        self.values: dict[str, Any] = dict(flag.variants)
        self.error = error  # a PARSE_ERROR message, or None
        self._ramp: list[Any] = [math.nan, ()]  # [next_change_at, slices]
        self.resolve: Resolver = _error_resolver

    def ramp_percent(self, now: float) -> tuple[int, float]:
        """``(step, percent)`` of this flag's ramp at ``now`` (``(-1, 0.0)`` without a ramp)."""
        m = self.meta
        if not m.schedule:
            return -1, 0.0
        step, percent, _ = schedule_position(m.schedule, m.ramp_step, m.ramp_since, green=m.green, now=now)
        return step, percent

    def _slices(self, now: float) -> tuple[tuple[int, int, str], ...]:
        state = self._ramp
        if not now < state[0]:  # first use, or the schedule has moved on
            m = self.meta
            _, percent, next_at = schedule_position(m.schedule, m.ramp_step, m.ramp_since, green=m.green, now=now)
            state[1] = anchored_ranges(list(m.rollout), percent)
            state[0] = next_at
        return state[1]  # type: ignore[no-any-return]


def _error_resolver(_: Mapping[str, Any]) -> tuple[str | None, str]:
    return None, Reason.ERROR


def _disabled(_: Mapping[str, Any]) -> tuple[str | None, str]:
    return None, Reason.DISABLED


def compile_flag(
    key: str,
    flag: Flag,
    evaluators: Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> CompiledFlag:
    """Compile one flag (targeting, ramp, per-tenant overrides) into a ``CompiledFlag``."""
    meta, _ = read_meta(flag.metadata, flag.variants)
    compiled = CompiledFlag(key, flag, meta, None)
    if flag.state == "DISABLED":
        compiled.resolve = _disabled
        return compiled
    expr = None
    ns: dict[str, Any] = {}
    if flag.targeting not in (None, {}):
        try:
            expr, ns = compile_expression(
                flag.targeting, flag_key=key, evaluators=evaluators or {}, hash_version=meta.hash_version
            )
        except (RuleError, RecursionError) as exc:
            compiled.error = str(exc)
            return compiled
    values = compiled.values
    default = flag.defaultVariant if flag.defaultVariant in values else None
    fallback = Reason.DEFAULT if (expr is not None or meta.schedule or default is None) else Reason.STATIC
    compiled.resolve = build(_resolver_source(expr, bool(overrides), bool(meta.schedule)), {
        **ns,
        "_ERR": (None, Reason.ERROR),
        "_DEF": (default, fallback),
        "_TM": {v: (v, Reason.TARGETING_MATCH) for v in values},
        "_SPLIT": {v: (v, Reason.SPLIT) for v in values},
        "_BT": {t: ((None, Reason.DISABLED) if v == KILL else (v, Reason.TARGETING_MATCH))
                for t, v in (overrides or {}).items() if v == KILL or v in values},
        "_ramp": _ramp_decider(compiled, clock) if meta.schedule else None,
    }, "_resolve", f"flag {key}")  # fmt: skip
    return compiled


def _resolver_source(expr: str | None, overrides: bool, ramp: bool) -> str:
    """The resolver of one flag as Python source: overrides, the inlined rule, the ramp, the default.

    Every outcome is a prebuilt ``(variant, reason)`` tuple, so a resolution allocates nothing.
    """
    lines = ["def _resolve(d):", "    try:"]
    if overrides:
        lines += ["        o = _BT.get(d.get('tenant'))", "        if o is not None:", "            return o"]
    if expr is not None:
        lines += [
            f"        r = {expr}",
            "        if r is not None:",
            "            if r.__class__ is bool:",
            "                r = 'true' if r else 'false'",
            "            return _TM.get(r, _ERR) if r.__class__ is str else _ERR",
        ]
    if ramp:
        lines += ["        v = _ramp(d)", "        if v is not None:", "            return _SPLIT[v]"]
    lines += ["    except Exception:", "        return _ERR", "    return _DEF"]
    if not overrides and expr is None and not ramp:
        lines = ["def _resolve(d):", "    return _DEF"]
    return "\n".join(lines) + "\n"


def _ramp_decider(flag: CompiledFlag, clock: Callable[[], float]) -> Callable[[Mapping[str, Any]], str | None]:
    meta = flag.meta
    hash_fn = hasher(meta.hash_version)
    stick = meta.stickiness
    prefix = flag.key + ":"
    cap = int(meta.max_tenant_share / 100 * SPACE) if meta.max_tenant_share < 100 else None
    cap_prefix = flag.key + ":cap:"
    slices_at = flag._slices

    def decide(ctx: Mapping[str, Any]) -> str | None:
        subject = ctx.get(stick)
        if subject is None:
            subject = ctx.get("targetingKey")
            if subject is None:
                return None
        if cap is not None:
            tenant = ctx.get("tenant")
            if tenant is None or hash_fn(cap_prefix + str(tenant)) >= cap:
                return None
        h = hash_fn(prefix + str(subject))
        for lo, hi, variant in slices_at(clock()):
            if lo <= h < hi:
                return variant
        return None

    return decide


@dataclass
class Snapshot:
    """A compiled flag set at one store version: what every evaluation in a process reads."""

    flags: dict[str, CompiledFlag]
    flag_set: FlagSet
    version: int = 0
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)


def compile_snapshot(
    flag_set: FlagSet,
    *,
    version: int = 0,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
    clock: Callable[[], float] = time.time,
) -> Snapshot:
    """Compile every flag of ``flag_set``; ``overrides`` maps flag key → tenant → variant (or ``KILL``)."""
    by_flag: dict[str, dict[str, str]] = {k: dict(v) for k, v in (overrides or {}).items()}
    flags = {
        key: compile_flag(key, flag, flag_set.evaluators, by_flag.get(key), clock)
        for key, flag in flag_set.flags.items()
    }
    return Snapshot(flags, flag_set, version, by_flag)
