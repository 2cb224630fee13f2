"""Stale-flag lint: flags past their expiry, fully rolled out for weeks, or no longer referenced in code.

Pure: the caller passes the flag set, ``now``, when each flag last changed, and the source roots to
scan. A flag is "fully on" when its ramp stands at 100% or it has no rules and serves ``true`` by
default; "for weeks" counts from its last change (or the moment the ramp reached 100%).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pavedroad.flags.flagset_validation import check_flag
from pavedroad.flags.metadata import read_meta
from pavedroad.flags.model import FlagSet
from pavedroad.flags.ramp import schedule_position

__all__ = ["Finding", "find_references", "lint_flag_set"]

FULLY_ON_DAYS = 21
_SOURCE_SUFFIXES = (".py", ".html", ".js", ".ts", ".tsx", ".jinja", ".j2", ".yaml", ".yml", ".json", ".md")
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".pavedroad", ".mypy_cache", ".ruff_cache"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One lint result: ``kind`` is invalid, expired, fully-on or unreferenced."""

    key: str
    kind: str
    message: str


def find_references(keys: Iterable[str], roots: Iterable[Path]) -> dict[str, int]:
    """How many source files under ``roots`` mention each key (as a quoted string)."""
    wanted = {k: (f'"{k}"', f"'{k}'") for k in keys}
    counts = dict.fromkeys(wanted, 0)
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
            for name in files:
                if not name.endswith(_SOURCE_SUFFIXES):
                    continue
                try:
                    text = (Path(folder) / name).read_text(errors="ignore")
                except OSError:
                    continue
                for key, needles in wanted.items():
                    if needles[0] in text or needles[1] in text:
                        counts[key] += 1
    return counts


def lint_flag_set(
    flag_set: FlagSet,
    *,
    now: float,
    changed_at: Mapping[str, float] | None = None,
    references: Mapping[str, int] | None = None,
) -> list[Finding]:
    """Every finding for ``flag_set`` (``references`` from ``find_references``; ``None`` skips that check)."""
    findings: list[Finding] = []
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    for key, flag in sorted(flag_set.flags.items()):
        findings.extend(Finding(key, "invalid", issue) for issue in check_flag(key, flag, flag_set.evaluators))
        meta, _ = read_meta(flag.metadata, flag.variants)
        if meta.expires is not None and meta.expires < today:
            findings.append(Finding(key, "expired", f"expired on {meta.expires} (owner: {meta.owner or 'unknown'})"))
        since = _fully_on_since(flag, meta, now, (changed_at or {}).get(key))
        if since is not None and now - since >= FULLY_ON_DAYS * 86400:
            days = int((now - since) // 86400)
            findings.append(Finding(key, "fully-on", f"serves everyone for {days} days; remove the flag from code"))
        if references is not None and references.get(key, 0) == 0:
            findings.append(Finding(key, "unreferenced", "no source file mentions this key; delete the flag"))
    return findings


def _fully_on_since(flag: object, meta: object, now: float, changed: float | None) -> float | None:
    from pavedroad.flags.metadata import FlagMeta
    from pavedroad.flags.model import Flag

    assert isinstance(flag, Flag)
    assert isinstance(meta, FlagMeta)
    if flag.state != "ENABLED":
        return None
    if meta.schedule:
        step, percent, _ = schedule_position(meta.schedule, meta.ramp_step, meta.ramp_since, green=meta.green, now=now)
        if percent < 100 or meta.max_tenant_share < 100:
            return None
        since = meta.ramp_since + sum(s.hold_s or 0.0 for s in meta.schedule[max(meta.ramp_step, 0) : step])
        return since
    if flag.targeting in (None, {}) and flag.variants.get(flag.defaultVariant or "") is True:
        return changed
    return None
