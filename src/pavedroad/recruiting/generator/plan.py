"""Tenant plans: who the tenants are and how many applications each gets, decided before any row exists.

Guarantees (all pure, no I/O, no wall clock):

- ``tenant_sizes`` returns positive integers summing exactly to the requested total, sorted largest
  first, spread like real customers (Zipf by rank with log-normal noise: a few large, many small).
- ``tenant_ids`` starts with ``acme``, ``globex``, ``initech`` and continues with deterministic slugs
  matching ``^[a-z][a-z0-9_-]{1,62}$``, skipping ids already taken, never repeating.
- ``rng`` gives independent, reproducible random streams per (seed, tenant, purpose).
- Timestamps are whole seconds since the epoch (``int64``), anchored to the plan's ``reference`` (by
  default ``REFERENCE``, 2026-06-30 UTC), the generator's "now": nothing is later than it. Another
  reference (a midnight) shifts every date by the same whole number of days and changes nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from pavedroad.recruiting.generator.names import COMPANY_WORDS, FIXED_TENANTS, SLUG_NOUNS, TIME_ZONES

__all__ = [
    "CHUNK_APPLICATIONS",
    "DAY",
    "REFERENCE",
    "TENANT_ID_PATTERN",
    "TenantPlan",
    "chunk_sizes",
    "plan_tenants",
    "rng",
    "tenant_ids",
    "tenant_sizes",
]

DAY = 86_400
REFERENCE = int(datetime(2026, 6, 30, tzinfo=UTC).timestamp())
TENANT_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")
# Applications generated and loaded together; part of the data's identity (changing it changes checksums).
CHUNK_APPLICATIONS = 50_000
ZIPF_EXPONENT = 1.1


def rng(seed: int, *path: int) -> np.random.Generator:
    """An independent PCG64 stream for ``(seed, *path)``; the same arguments give the same stream."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, *path])))


def tenant_sizes(applications: int, tenants: int, seed: int) -> list[int]:
    """Split ``applications`` over ``tenants`` like real customers: rank^-1.1 with noise, each ≥ 1."""
    if tenants < 1 or applications < tenants:
        raise ValueError(f"need 1 ≤ tenants ≤ applications, got tenants={tenants}, applications={applications}")
    gen = rng(seed, 0, 0)
    ranks = np.arange(1, tenants + 1, dtype=np.float64)
    weights = np.sort(ranks**-ZIPF_EXPONENT * gen.lognormal(0.0, 0.35, tenants))[::-1]
    spare = applications - tenants
    ideal = weights / weights.sum() * spare
    sizes = np.floor(ideal).astype(np.int64)
    # Largest remainder, ties broken by rank, so the total is exact and the order stays descending.
    short = spare - int(sizes.sum())
    sizes[np.argsort(-(ideal - sizes), kind="stable")[:short]] += 1
    sizes = np.sort(sizes)[::-1] + 1
    return [int(s) for s in sizes]


def _slug_candidates(seed: int) -> Iterator[tuple[str, str]]:
    yield from FIXED_TENANTS
    gen = rng(seed, 0, 1)
    words = [COMPANY_WORDS[i] for i in gen.permutation(len(COMPANY_WORDS))]
    for word in words:
        yield word, f"{word.title()} Inc."
    nouns = [SLUG_NOUNS[i] for i in gen.permutation(len(SLUG_NOUNS))]
    for noun in nouns:
        for word in words:
            yield f"{word}-{noun}", f"{word.title()} {noun.title()}"
    n = 2
    while True:
        for word in words:
            yield f"{word}{n}", f"{word.title()} {n}"
        n += 1


def tenant_ids(count: int, seed: int, taken: Iterable[str] = ()) -> list[tuple[str, str]]:
    """``count`` (id, display name) pairs not in ``taken``: acme, globex, initech, then seeded slugs."""
    used = set(taken)
    out: list[tuple[str, str]] = []
    for slug, name in _slug_candidates(seed):
        if len(out) == count:
            break
        if slug not in used:
            used.add(slug)
            out.append((slug, name))
    return out


@dataclass(frozen=True)
class TenantPlan:
    """One tenant to generate: its id, name, time zone, size and when it became a customer."""

    index: int
    tenant_id: str
    name: str
    time_zone: str
    applications: int
    created_at: int
    reference: int = REFERENCE


def plan_tenants(
    applications: int, tenants: int, seed: int, taken: Iterable[str] = (), *, reference: int = REFERENCE
) -> list[TenantPlan]:
    """The tenants of one ``seed`` run, largest first; ``reference`` (epoch seconds, a UTC midnight) is "now"."""
    if reference % DAY:
        raise ValueError(f"the reference must be a UTC midnight (a multiple of {DAY} s), got {reference}")
    sizes = tenant_sizes(applications, tenants, seed)
    ids = tenant_ids(tenants, seed, taken)
    gen = rng(seed, 0, 2)
    zones = gen.integers(0, len(TIME_ZONES), tenants)
    # Customers joined 2-5 years before the reference date (before their first job opened).
    ages = gen.integers(760 * DAY, 5 * 365 * DAY, tenants)
    return [
        TenantPlan(i, slug, name, TIME_ZONES[int(zones[i])], sizes[i], reference - int(ages[i]), reference)
        for i, (slug, name) in enumerate(ids)
    ]


def chunk_sizes(applications: int) -> list[int]:
    """Split one tenant's applications into loading chunks of at most ``CHUNK_APPLICATIONS``, near-equal."""
    parts = max(1, -(-applications // CHUNK_APPLICATIONS))
    base, extra = divmod(applications, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
