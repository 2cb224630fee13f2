"""Deterministic bucketing: murmur3 (``mmh3``) projected onto weights with ``(hash x total) >> 32``.

The hash version is part of a flag's data (``pavedroad.hashVersion`` in its metadata): a flag published
with version ``v2`` buckets with ``v2`` forever, so upgrading pavedroad never re-buckets anyone
silently. A new version is added to ``HASH_VERSIONS`` and chosen explicitly per flag.

``v2`` is flagd's fractional v2: MurmurHash3 x86 32-bit, seed 0, over the UTF-8 bucketing key, read
unsigned, projected with ``(h * total) >> 32``. It is the version the flagd-testbed suite is run with.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import mmh3

__all__ = ["DEFAULT_HASH_VERSION", "HASH_VERSIONS", "bucket_index", "bucket_key", "hash32", "hasher"]

DEFAULT_HASH_VERSION = "v2"


def _murmur3_v2(key: str) -> int:
    return mmh3.hash(key, 0, signed=False)


HASH_VERSIONS: dict[str, Callable[[str], int]] = {"v2": _murmur3_v2}


def hasher(version: str) -> Callable[[str], int]:
    """The 32-bit unsigned hash function of ``version``; ``KeyError`` for an unknown version."""
    return HASH_VERSIONS[version]


def hash32(key: str, version: str = DEFAULT_HASH_VERSION) -> int:
    """The unsigned 32-bit hash of ``key`` under ``version``."""
    return HASH_VERSIONS[version](key)


def bucket_key(value: object) -> str | None:
    """The string a bucketing value hashes as (numbers and booleans as JSON); ``None`` for null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def bucket_index(h: int, weights: list[int]) -> int:
    """Which weight ``h`` falls in: ``(h * total) >> 32`` walked over the cumulative weights; -1 if total is 0.

    >>> bucket_index(0, [50, 50]), bucket_index(2**32 - 1, [50, 50])
    (0, 1)
    """
    total = sum(weights)
    if total <= 0:
        return -1
    point = (h * total) >> 32
    acc = 0
    for i, w in enumerate(weights):
        acc += w
        if point < acc:
            return i
    return len(weights) - 1
