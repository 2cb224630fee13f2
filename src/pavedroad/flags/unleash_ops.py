"""Unleash strategies and constraints as compiled targeting operators (the importer's building blocks).

Two pavedroad extension operators, registered in ``targeting.EXTENSIONS`` when this module loads:

* ``{"unleash_strategy": [strategy]}`` — one Unleash activation strategy (``default``, ``userWithId``,
  ``gradualRollout*``, ``flexibleRollout``, ``remoteAddress``) with its constraints → true/false;
* ``{"unleash_variant": [group, variants]}`` — Unleash's weighted variant choice (overrides first) → name.

Both compile the strategy JSON once into closures; bucketing is Unleash's own (murmur3 of
``"<group>:<id>"``, ``% 100 + 1`` for rollouts, seed 86028157 ``% total + 1`` for variants), so imported
flags bucket exactly as they did in Unleash. Contexts use Unleash's fields: ``userId``, ``sessionId``,
``remoteAddress``, ``environment``, ``appName``, ``currentTime`` and ``properties``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

import mmh3

from pavedroad.flags.rule_compiler import EXTENSIONS, Rule

__all__ = ["context_value", "normalized_hash"]

VARIANT_SEED = 86028157
_STANDARD = ("userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime")
_POSIX = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
          "space": r"\s", "xdigit": "0-9A-Fa-f", "word": r"\w", "punct": r"!-/:-@\[-`{-~"}  # fmt: skip
_rng = random.SystemRandom()


def normalized_hash(group: str, identifier: str, modulus: int, seed: int = 0) -> int:
    """Unleash's ``normalizedHash``: murmur3_32("<group>:<identifier>", seed) % modulus + 1."""
    return mmh3.hash(f"{group}:{identifier}", seed, signed=False) % modulus + 1


def context_value(ctx: Mapping[str, Any], name: str) -> Any:
    """A context field by Unleash name: a standard field, else ``properties[name]``."""
    if name in _STANDARD:
        value = ctx.get(name)
        if value is None and name == "currentTime":
            return dt.datetime.now(dt.UTC).isoformat()
        return value
    props = ctx.get("properties")
    return props.get(name) if isinstance(props, Mapping) else None


def _stickiness_value(ctx: Mapping[str, Any], stickiness: str | None) -> str | None:
    if stickiness in (None, "", "default"):
        for field in ("userId", "sessionId"):
            if ctx.get(field) not in (None, ""):
                return str(ctx[field])
        return str(_rng.randint(1, 100_000))
    if stickiness == "random":
        return str(_rng.randint(1, 100_000))
    value = context_value(ctx, stickiness)
    return None if value in (None, "") else str(value)


def _date(text: Any) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def _semver(text: Any) -> tuple[Any, ...] | None:
    match = _SEMVER.match(str(text)) if isinstance(text, str) else None
    if match is None:
        return None
    pre = match.group(4)
    pre_key: tuple[Any, ...] = (
        (1,) if pre is None else (0, *((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))
    )
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)), pre_key)


def _regex(pattern: str, case_insensitive: bool) -> re.Pattern[str] | None:
    """Unleash regexes follow Rust's ``regex`` crate: POSIX classes, inline flags anywhere, no backreferences."""
    if re.search(r"\\[1-9]|\\k<|\(\?P=", pattern):
        return None
    translated = re.sub(r"\[:(\w+):\]", lambda m: _POSIX.get(m.group(1), m.group(0)), pattern)
    flags = "".join(re.findall(r"\(\?([imsx]+)\)", translated))
    if flags:
        translated = f"(?{''.join(sorted(set(flags)))})" + re.sub(r"\(\?[imsx]+\)", "", translated)
    try:
        return re.compile(translated, re.IGNORECASE if case_insensitive else 0)
    except re.error:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def compile_constraint(c: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """One Unleash constraint → ``f(ctx) -> bool`` (``inverted`` applied last)."""
    name, op = str(c.get("contextName", "")), str(c.get("operator", ""))
    values = [str(v) for v in c.get("values") or []]
    value = c.get("value")
    fold = bool(c.get("caseInsensitive"))
    test: Callable[[Any], bool]
    if op in ("IN", "NOT_IN"):
        members = frozenset(values)
        test = (
            (lambda v: v is not None and str(v) in members)
            if op == "IN"
            else (lambda v: v is None or str(v) not in members)
        )
    elif op in ("STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH"):
        needles = [v.lower() for v in values] if fold else values
        method = {"STR_CONTAINS": str.__contains__, "STR_STARTS_WITH": str.startswith, "STR_ENDS_WITH": str.endswith}[
            op
        ]

        def test(v: Any) -> bool:
            if v is None:
                return False
            text = str(v).lower() if fold else str(v)
            return any(method(text, n) for n in needles)
    elif op.startswith("NUM_"):
        target = _number(value)
        cmp = {"NUM_EQ": lambda a, b: a == b, "NUM_GT": lambda a, b: a > b, "NUM_GTE": lambda a, b: a >= b,
               "NUM_LT": lambda a, b: a < b, "NUM_LTE": lambda a, b: a <= b}.get(op)  # fmt: skip

        def test(v: Any) -> bool:
            n = _number(v)
            return cmp is not None and target is not None and n is not None and bool(cmp(n, target))
    elif op in ("DATE_AFTER", "DATE_BEFORE"):
        when = _date(value)

        def test(v: Any) -> bool:
            d = _date(v)
            if d is None or when is None:
                return False
            return d > when if op == "DATE_AFTER" else d < when
    elif op.startswith("SEMVER_"):
        target_v = _semver(value)
        scmp = {"SEMVER_EQ": lambda a, b: a == b, "SEMVER_GT": lambda a, b: a > b, "SEMVER_LT": lambda a, b: a < b,
                "SEMVER_GTE": lambda a, b: a >= b, "SEMVER_LTE": lambda a, b: a <= b}.get(op)  # fmt: skip

        def test(v: Any) -> bool:
            have = _semver(v)
            return scmp is not None and target_v is not None and have is not None and bool(scmp(have, target_v))
    elif op == "REGEX":
        pattern = _regex(str(value or ""), fold)

        def test(v: Any) -> bool:
            return pattern is not None and v is not None and pattern.search(str(v)) is not None
    elif op == "IN_CIDR":
        networks = [n for n in (_network(v) for v in values) if n is not None]

        def test(v: Any) -> bool:
            ip = _ip(v) if v is not None else None
            return ip is not None and any(ip.version == n.version and ip in n for n in networks)
    else:
        return lambda ctx: False
    inverted = bool(c.get("inverted"))
    return lambda ctx: test(context_value(ctx, name)) != inverted


def _percent(params: Mapping[str, Any], key: str) -> int:
    try:
        return int(float(str(params.get(key, "0"))))
    except ValueError:
        return 0


def _strategy(s: Mapping[str, Any], feature: str) -> Callable[[Mapping[str, Any]], bool]:  # noqa: PLR0911 - one per strategy
    name, params = s.get("name"), s.get("parameters") or {}
    if name == "default":
        return lambda ctx: True
    if name == "userWithId":
        ids = frozenset(u.strip() for u in str(params.get("userIds", "")).split(","))
        return lambda ctx: ctx.get("userId") is not None and str(ctx["userId"]) in ids
    if name in ("gradualRolloutUserId", "gradualRolloutSessionId"):
        field = "userId" if name == "gradualRolloutUserId" else "sessionId"
        pct, group = _percent(params, "percentage"), str(params.get("groupId", feature))
        return lambda ctx: (
            ctx.get(field) not in (None, "") and pct > 0 and normalized_hash(group, str(ctx[field]), 100) <= pct
        )
    if name == "gradualRolloutRandom":
        pct = _percent(params, "percentage")
        return lambda ctx: pct > 0 and _rng.randint(1, 100) <= pct
    if name == "flexibleRollout":
        pct, group = _percent(params, "rollout"), str(params.get("groupId") or feature)
        stickiness = params.get("stickiness")

        def flexible(ctx: Mapping[str, Any]) -> bool:
            key = _stickiness_value(ctx, stickiness)
            return key is not None and pct > 0 and normalized_hash(group, key, 100) <= pct

        return flexible
    if name == "remoteAddress":
        nets = [n for n in (_network(p) for p in str(params.get("IPs", "")).split(",")) if n is not None]

        def remote(ctx: Mapping[str, Any]) -> bool:
            ip = _ip(ctx.get("remoteAddress")) if ctx.get("remoteAddress") else None
            return ip is not None and any(ip.version == n.version and ip in n for n in nets)

        return remote
    return lambda ctx: False


def _op_strategy(c: Any, args: list[Any]) -> Rule:
    spec, feature = args[0], str(args[1]) if len(args) > 1 else ""
    constraints = [compile_constraint(x) for x in spec.get("constraints") or []]
    check = _strategy(spec, feature)
    return lambda ctx: all(f(ctx) for f in constraints) and check(ctx)


def _op_variant(c: Any, args: list[Any]) -> Rule:
    group, variants = str(args[0]), list(args[1])
    total = sum(int(v.get("weight", 0)) for v in variants)
    stickiness = variants[0].get("stickiness") if variants else None
    if stickiness in (None, "", "default") and len(args) > 2 and args[2]:
        stickiness = args[2]  # strategy variants inherit the strategy's stickiness
    overrides = [(v["name"], o.get("contextName", ""), frozenset(map(str, o.get("values") or [])))
                 for v in variants for o in v.get("overrides") or []]  # fmt: skip

    def choose(ctx: Mapping[str, Any]) -> Any:
        for name, field, values in overrides:
            value = context_value(ctx, field)
            if value is not None and str(value) in values:
                return name
        if total <= 0:
            return None
        key = _stickiness_value(ctx, stickiness)
        if key is None:
            return None
        target, acc = normalized_hash(group, key, total, VARIANT_SEED), 0
        for v in variants:
            acc += int(v.get("weight", 0))
            if acc >= target:
                return v["name"]
        return None

    return choose


EXTENSIONS["unleash_strategy"] = _op_strategy
EXTENSIONS["unleash_variant"] = _op_variant
