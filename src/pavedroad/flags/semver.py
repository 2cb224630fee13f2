"""Semantic versions for the ``sem_ver`` operator: parse leniently, compare like semver.org.

Accepted: ``1.2.3``, ``v1.2.3``/``V1.2.3``, partial ``1`` and ``1.2`` (padded with zeros), numbers from
the context (``1.2`` → ``1.2.0``), pre-releases (``2.0.0-alpha`` < ``2.0.0``); build metadata is
ignored. Anything else (``2.0.0.0``, ``not-a-version``) is ``None``, so the rule yields null.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["SEMVER_OPERATORS", "Version", "compare", "parse_version"]

_RE = re.compile(
    r"^[vV]?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
)

Version = tuple[int, int, int, tuple[tuple[int, int | str], ...] | None]


def parse_version(value: object) -> Version | None:
    """A comparable version, or ``None`` when ``value`` is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    match = _RE.match(str(value))
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    prerelease = None
    if pre is not None:
        prerelease = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return (int(major), int(minor or 0), int(patch or 0), prerelease)


def _key(v: Version) -> tuple[object, ...]:
    # A release sorts after every pre-release of the same core version.
    return (v[0], v[1], v[2], (1,) if v[3] is None else (0, v[3]))


def compare(a: Version, b: Version) -> int:
    """-1, 0 or 1."""
    ka, kb = _key(a), _key(b)
    return (ka > kb) - (ka < kb)


SEMVER_OPERATORS: dict[str, Callable[[Version, Version], bool]] = {
    "=": lambda a, b: compare(a, b) == 0,
    "!=": lambda a, b: compare(a, b) != 0,
    "<": lambda a, b: compare(a, b) < 0,
    "<=": lambda a, b: compare(a, b) <= 0,
    ">": lambda a, b: compare(a, b) > 0,
    ">=": lambda a, b: compare(a, b) >= 0,
    "^": lambda a, b: a[0] == b[0],
    "~": lambda a, b: a[0] == b[0] and a[1] == b[1],
}
