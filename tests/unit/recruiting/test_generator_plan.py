"""Tenant plans: sizes spread like real customers, ids are stable slugs, nothing depends on the clock."""

from __future__ import annotations

import pytest

from pavedroad.recruiting.generator import REFERENCE, plan_tenants, tenant_ids, tenant_sizes
from pavedroad.recruiting.generator.plan import CHUNK_APPLICATIONS, TENANT_ID_PATTERN, chunk_sizes, rng


@pytest.mark.parametrize(("applications", "tenants"), [(1, 1), (3, 3), (10, 3), (20_000, 3), (1_000_000, 50)])
def test_sizes_are_positive_and_sum_exactly(applications: int, tenants: int) -> None:
    """Every tenant gets at least one application and the total is exactly what was asked for."""
    sizes = tenant_sizes(applications, tenants, seed=1)
    assert len(sizes) == tenants
    assert sum(sizes) == applications
    assert min(sizes) >= 1
    assert sizes == sorted(sizes, reverse=True)


def test_sizes_are_skewed_like_real_customers() -> None:
    """A few large tenants, many small: the top fifth holds most applications, the median is small."""
    sizes = tenant_sizes(100_000, 50, seed=7)
    top = sum(sizes[:10])
    assert top / 100_000 > 0.5
    assert sizes[0] > 10 * sizes[25]


def test_sizes_are_deterministic_per_seed() -> None:
    assert tenant_sizes(50_000, 20, seed=3) == tenant_sizes(50_000, 20, seed=3)
    assert tenant_sizes(50_000, 20, seed=3) != tenant_sizes(50_000, 20, seed=4)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="tenants"):
        tenant_sizes(2, 3, seed=1)
    with pytest.raises(ValueError, match="tenants"):
        tenant_sizes(5, 0, seed=1)


def test_ids_start_with_the_demo_tenants_then_valid_unique_slugs() -> None:
    ids = [slug for slug, _ in tenant_ids(900, seed=1)]
    assert ids[:3] == ["acme", "globex", "initech"]
    assert len(set(ids)) == 900
    assert all(TENANT_ID_PATTERN.match(slug) for slug in ids)


def test_ids_skip_taken_ones() -> None:
    """Seeding into a database that has acme appends new tenants with fresh ids."""
    ids = [slug for slug, _ in tenant_ids(3, seed=1, taken={"acme", "globex"})]
    assert ids[0] == "initech"
    assert not {"acme", "globex"} & set(ids)
    assert len(set(ids)) == 3


def test_plans_are_anchored_before_the_reference_date() -> None:
    plans = plan_tenants(10_000, 8, seed=2)
    assert [p.index for p in plans] == list(range(8))
    assert all(p.created_at < REFERENCE for p in plans)
    assert all(p.time_zone.count("/") >= 1 for p in plans)
    assert plans == plan_tenants(10_000, 8, seed=2)


def test_chunks_cover_the_tenant() -> None:
    for total in (1, CHUNK_APPLICATIONS, CHUNK_APPLICATIONS + 1, 3 * CHUNK_APPLICATIONS + 17):
        parts = chunk_sizes(total)
        assert sum(parts) == total
        assert max(parts) <= CHUNK_APPLICATIONS
        assert max(parts) - min(parts) <= 1


def test_random_streams_are_independent_and_reproducible() -> None:
    assert rng(1, 2, 3).random() == rng(1, 2, 3).random()
    assert rng(1, 2, 3).random() != rng(1, 2, 4).random()
    assert rng(2**40 + 1, 0).random() != rng(1, 0).random()
