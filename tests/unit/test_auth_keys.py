"""API keys name their tenant and are refused clearly when malformed."""

from __future__ import annotations

import pytest

from pavedroad.errors import Unauthenticated
from pavedroad.service.auth import hash_key, issue_key, parse_key


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
