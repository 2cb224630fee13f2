"""Unleash features import as pavedroad flags with the same answers (strategies, constraints, variants)."""

from __future__ import annotations

from typing import Any

from pavedroad.flags import FlagClient, FlagRuntime, StoreState, import_unleash, validate_flag_set
from pavedroad.flags.unleash import VARIANT_SUFFIX
from pavedroad.flags.unleash_ops import normalized_hash

DOC: dict[str, Any] = {
    "version": 1,
    "segments": [{"id": 7, "constraints": [{"contextName": "environment", "operator": "IN", "values": ["prod"]}]}],
    "features": [
        {
            "name": "checkout",
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {"rollout": "30", "stickiness": "userId", "groupId": "checkout"},
                    "constraints": [{"contextName": "plan", "operator": "IN", "values": ["pro"]}],
                    "segments": [7],
                }
            ],
            "variants": [
                {"name": "a", "weight": 500, "payload": {"type": "string", "value": "A"}},
                {"name": "b", "weight": 500, "overrides": [{"contextName": "userId", "values": ["vip"]}]},
            ],
        },
        {"name": "child", "enabled": True, "strategies": [], "dependencies": [{"feature": "checkout"}]},
        {"name": "off", "enabled": False, "strategies": [{"name": "default"}]},
    ],
}


def _client() -> FlagClient:
    return FlagClient(FlagRuntime(state=StoreState(1, import_unleash(DOC))))


def test_rollout_buckets_like_unleash() -> None:
    """A user is in the 30% rollout exactly when Unleash's normalized hash is at most 30."""
    client = _client()
    for i in range(300):
        ctx = {"userId": f"u{i}", "environment": "prod", "properties": {"plan": "pro"}}
        assert client.enabled("checkout", ctx) == (normalized_hash("checkout", f"u{i}", 100) <= 30)
        assert client.enabled("child", ctx) == client.enabled("checkout", ctx)


def test_constraints_and_segments_gate_the_strategy() -> None:
    client = _client()
    winner = next(f"u{i}" for i in range(100) if normalized_hash("checkout", f"u{i}", 100) <= 30)
    assert client.enabled("checkout", {"userId": winner, "environment": "prod", "properties": {"plan": "pro"}})
    assert not client.enabled("checkout", {"userId": winner, "environment": "dev", "properties": {"plan": "pro"}})
    assert not client.enabled("checkout", {"userId": winner, "environment": "prod", "properties": {"plan": "free"}})
    assert not client.enabled("off", {})


def test_variants_and_overrides() -> None:
    client = _client()
    winner = next(f"u{i}" for i in range(100) if normalized_hash("checkout", f"u{i}", 100) <= 30)
    ctx = {"userId": winner, "environment": "prod", "properties": {"plan": "pro"}}
    value = client.value("checkout" + VARIANT_SUFFIX, {}, ctx)
    assert value["name"] in ("a", "b")
    assert value["enabled"] is True
    vip = client.value("checkout" + VARIANT_SUFFIX, {}, {"userId": "vip", "environment": "prod",
                                                           "properties": {"plan": "pro"}})  # fmt: skip
    if client.enabled("checkout", {"userId": "vip", "environment": "prod", "properties": {"plan": "pro"}}):
        assert vip["name"] == "b"
    assert client.value("off" + VARIANT_SUFFIX, {}, {}) == {"name": "disabled", "enabled": False,
                                                            "feature_enabled": False}  # fmt: skip


def test_imported_flags_pass_validation() -> None:
    """Imported flags are valid pavedroad flags (the unleash_* operators are registered extensions)."""
    assert validate_flag_set(import_unleash(DOC).to_json()) == []
