"""API keys name their tenant and are refused clearly when malformed; operator keys are a form of their own;
the auth cache never outlives a revocation."""

from __future__ import annotations

import pytest

from pavedroad.errors import Unauthenticated
from pavedroad.tenancy import AuthCache, hash_key, issue_key, issue_operator_key, parse_key
from pavedroad.tenancy.principal import Operator
from pavedroad.testing import FakeClock


def test_issued_key_parses_back_to_its_tenant() -> None:
    key = issue_key("acme")
    assert parse_key(key) == "acme"
    assert hash_key(key) != key
    assert len(hash_key(key)) == 64


@pytest.mark.parametrize(
    "key", ["", "acme", "pr_acme", "pr_ACME_abcdefghijklmnopqrstuvwxyz", "pr_acme_short", "x" * 500]
)
def test_malformed_keys_are_unauthenticated(key: str) -> None:
    with pytest.raises(Unauthenticated) as info:
        parse_key(key)
    assert info.value.status == 401
    assert info.value.hint


def _operator() -> Operator:
    return Operator(1, "olga")


def test_operator_keys_are_their_own_form() -> None:
    key = issue_operator_key()
    assert key.startswith("prop_")
    with pytest.raises(Unauthenticated):
        parse_key(key)  # never a tenant key


def test_the_cache_serves_nothing_unless_a_revocation_listener_is_connected() -> None:
    clock = FakeClock()
    cache = AuthCache(ttl_s=30, clock=clock.time)
    cache.put("h", _operator(), cache.generation)
    assert cache.get("h") is None
    cache.listener_up()
    cache.put("h", _operator(), cache.generation)
    assert cache.get("h") == _operator()
    clock.advance(31)
    assert cache.get("h") is None


def test_an_answer_looked_up_before_an_invalidation_is_not_cached() -> None:
    cache = AuthCache()
    cache.listener_up()
    started = cache.generation
    cache.invalidate()  # a revocation arrives while the lookup is in flight
    cache.put("h", _operator(), started)
    assert cache.get("h") is None
    assert cache.wait_for_invalidation(started, timeout=0)
