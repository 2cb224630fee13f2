"""pavedroad's additions to a flag, kept as flat ``pavedroad.*`` keys in flagd flag metadata.

flagd metadata values are booleans, strings or numbers, so every addition is one scalar and a flag file
stays valid against the flagd schema:

=========================  ========================================================================
``pavedroad.owner``        team or person answerable for the flag
``pavedroad.expires``      ``YYYY-MM-DD``; ``flags lint`` reports the flag after this date
``pavedroad.hashVersion``  bucketing hash (``v2``); written on publish so upgrades never re-bucket
``pavedroad.stickiness``   context attribute that buckets: ``tenant`` (default) or e.g. ``targetingKey``
``pavedroad.rollout``      treatment split of the ramp: ``on`` or ``blue:1,green:1``
``pavedroad.ramp``         schedule ``1%:1h,5%:4h,25%:1d,100%`` (percent and hold before the next step)
``pavedroad.rampStep``     pinned step index (-1: not started); moved by ``ramp``/canary
``pavedroad.rampSince``    unix seconds the pinned step began (holds count from here)
``pavedroad.guard``        ``green`` or ``red``; when present the schedule advances only while green
``pavedroad.safeStep``     last step the guard confirmed; ``rollback`` returns here
``pavedroad.maxTenantShare`` blast-radius cap: at most this percent of tenants get the treatment
=========================  ========================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pavedroad.flags.bucketing import DEFAULT_HASH_VERSION, HASH_VERSIONS
from pavedroad.flags.ramp import Step, parse_schedule

__all__ = ["FlagMeta", "P", "read_meta"]

P = "pavedroad."


@dataclass(frozen=True, slots=True)
class FlagMeta:
    """The parsed ``pavedroad.*`` metadata of one flag."""

    owner: str | None = None
    expires: dt.date | None = None
    hash_version: str = DEFAULT_HASH_VERSION
    stickiness: str = "tenant"
    rollout: tuple[tuple[str, float], ...] = ()
    schedule: tuple[Step, ...] = ()
    ramp_step: int = -1
    ramp_since: float = 0.0
    guard: str | None = None
    safe_step: int = -1
    max_tenant_share: float = 100.0

    @property
    def green(self) -> bool:
        """Whether the schedule may advance on its own (no guard, or a green one)."""
        return self.guard != "red"


def _split(text: str) -> tuple[tuple[str, float], ...]:
    out = []
    for part in text.split(","):
        name, _, weight = part.strip().partition(":")
        if not name:
            raise ValueError(f"rollout split {text!r} has an empty variant name")
        out.append((name, float(weight) if weight else 1.0))
    return tuple(out)


def read_meta(  # noqa: PLR0912, PLR0915 - one flat check per metadata key, in table order
    metadata: Mapping[str, object], variants: Mapping[str, object]
) -> tuple[FlagMeta, list[str]]:
    """Parse the ``pavedroad.*`` keys; return the meta and the problems found (bad keys use defaults)."""
    issues: list[str] = []
    values: dict[str, object] = {}

    def get(name: str, kind: type | tuple[type, ...]) -> object | None:
        value = metadata.get(P + name)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            issues.append(f"metadata {P + name} must be a {getattr(kind, '__name__', 'number')}, got {value!r}")
            return None
        return value

    if (owner := get("owner", str)) is not None:
        values["owner"] = owner
    if (expires := get("expires", str)) is not None:
        try:
            values["expires"] = dt.date.fromisoformat(str(expires))
        except ValueError:
            issues.append(f"metadata {P}expires must be YYYY-MM-DD, got {expires!r}")
    if (hv := get("hashVersion", str)) is not None:
        if hv in HASH_VERSIONS:
            values["hash_version"] = hv
        else:
            issues.append(f"metadata {P}hashVersion {hv!r} is unknown; known: {', '.join(HASH_VERSIONS)}")
    if (stick := get("stickiness", str)) is not None:
        values["stickiness"] = stick
    if (rollout := get("rollout", str)) is not None:
        try:
            values["rollout"] = _split(str(rollout))
            unknown = [n for n, _ in values["rollout"] if n not in variants]  # type: ignore[attr-defined]
            if unknown:
                issues.append(f"metadata {P}rollout names unknown variants {unknown}")
                del values["rollout"]
        except ValueError as exc:
            issues.append(str(exc))
    if (ramp := get("ramp", str)) is not None:
        try:
            values["schedule"] = parse_schedule(str(ramp))
        except ValueError as exc:
            issues.append(f"metadata {P}ramp: {exc}")
    for name, attr in (("rampStep", "ramp_step"), ("safeStep", "safe_step")):
        if (step := get(name, int)) is not None:
            values[attr] = step
    if (since := get("rampSince", (int, float))) is not None:
        values["ramp_since"] = float(since)  # type: ignore[arg-type]
    if (guard := get("guard", str)) is not None:
        if guard in ("green", "red"):
            values["guard"] = guard
        else:
            issues.append(f"metadata {P}guard must be 'green' or 'red', got {guard!r}")
    if (cap := get("maxTenantShare", (int, float))) is not None:
        if 0 <= cap <= 100:  # type: ignore[operator]
            values["max_tenant_share"] = float(cap)  # type: ignore[arg-type]
        else:
            issues.append(f"metadata {P}maxTenantShare must be within 0..100, got {cap!r}")
    if "schedule" in values and "rollout" not in values:
        default = [name for name, v in variants.items() if v is True]
        if default:
            values["rollout"] = ((default[0], 1.0),)
        else:
            issues.append(f"a ramp on a non-boolean flag needs {P}rollout naming the treatment variant(s)")
            del values["schedule"]
    return FlagMeta(**values), issues  # type: ignore[arg-type]
