"""Evaluation order, reasons and error codes: a flag always answers, never raises."""

from __future__ import annotations

from typing import Any

import pytest

from pavedroad.flags import (
    KILL,
    ErrorCode,
    FlagClient,
    FlagRuntime,
    Reason,
    StoreState,
    context_for,
    parse_flag_set,
)
from pavedroad.tenancy import Principal, Role

BOOL = {"on": True, "off": False}


def make_client(flags: dict[str, Any], overrides: dict[str, dict[str, str]] | None = None, **kw: Any) -> FlagClient:
    state = StoreState(1, parse_flag_set({"flags": flags}), overrides or {})
    return FlagClient(FlagRuntime(state=state, **kw))


def test_static_targeted_and_default_reasons() -> None:
    c = make_client(
        {
            "static": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on"},
            "beta": {
                "state": "ENABLED",
                "variants": BOOL,
                "defaultVariant": "off",
                "targeting": {"if": [{"in": [{"var": "tenant"}, ["acme"]]}, "on"]},
            },
        }
    )
    assert c.details("static", False).reason == Reason.STATIC
    hit = c.details("beta", False, {"tenant": "acme"})
    assert (hit.value, hit.variant, hit.reason) == (True, "on", Reason.TARGETING_MATCH)
    miss = c.details("beta", True, {"tenant": "globex"})
    assert (miss.value, miss.reason) == (False, Reason.DEFAULT)


def test_errors_resolve_to_the_callers_default() -> None:
    """Missing flag, wrong type, uncompilable rule, unknown variant: default value plus an error code."""
    c = make_client(
        {
            "s": {"state": "ENABLED", "variants": {"a": "x"}, "defaultVariant": "a"},
            "broken": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on", "targeting": {"$ref": "x"}},
            "bad-variant": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on", "targeting": "nope"},
            "odd": {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on", "targeting": {"var": "v"}},
        }
    )
    assert c.details("nope", True).error_code == ErrorCode.FLAG_NOT_FOUND
    assert c.details("s", 3).error_code == ErrorCode.TYPE_MISMATCH
    r = c.details("broken", False)
    assert (r.value, r.reason, r.error_code) == (False, Reason.ERROR, ErrorCode.PARSE_ERROR)
    r = c.details("odd", False, {"v": "purple"})
    assert (r.value, r.error_code) == (False, ErrorCode.GENERAL)
    assert c.enabled("broken", {}, default=True) is True
    assert c.enabled("s") is False  # a string flag is not a boolean: default
    assert c.enabled("nope", default=True) is True


def test_disabled_flag_is_the_global_kill_switch() -> None:
    c = make_client({"f": {"state": "DISABLED", "variants": BOOL, "defaultVariant": "on"}})
    r = c.details("f", False, {"tenant": "acme"})
    assert (r.value, r.reason) == (False, Reason.DISABLED)


def test_per_tenant_override_and_kill_switch() -> None:
    """A tenant override wins over targeting; a tenant kill switch serves the caller's default."""
    flag = {"state": "ENABLED", "variants": BOOL, "defaultVariant": "on"}
    c = make_client({"f": flag}, overrides={"f": {"acme": KILL, "globex": "off"}})
    assert c.details("f", False, {"tenant": "acme"}).reason == Reason.DISABLED
    assert c.enabled("f", {"tenant": "acme"}) is False
    assert c.details("f", True, {"tenant": "globex"}).variant == "off"
    assert c.enabled("f", {"tenant": "initech"}) is True


def _ramped(percent: float, **meta: Any) -> dict[str, Any]:
    return {
        "state": "ENABLED",
        "variants": BOOL,
        "defaultVariant": "off",
        "metadata": {"pavedroad.ramp": f"{percent:g}%", "pavedroad.rampStep": 0, **meta},
    }


def test_ramp_is_tenant_sticky_by_default() -> None:
    """With tenant stickiness every user of a tenant gets the same answer."""
    c = make_client({"f": _ramped(50)})
    for t in range(50):
        answers = {c.enabled("f", {"tenant": f"t{t}", "targetingKey": f"u{u}"}) for u in range(20)}
        assert len(answers) == 1
    share = sum(c.enabled("f", {"tenant": f"t{t}"}) for t in range(4000)) / 4000
    assert 0.45 < share < 0.55
    assert c.details("f", False, {"tenant": "t1"}).reason in (Reason.SPLIT, Reason.DEFAULT)


def test_user_stickiness_splits_inside_a_tenant() -> None:
    c = make_client({"f": _ramped(50, **{"pavedroad.stickiness": "targetingKey"})})
    answers = {c.enabled("f", {"tenant": "acme", "targetingKey": f"u{u}"}) for u in range(100)}
    assert answers == {True, False}


def test_blast_radius_cap_limits_the_share_of_tenants() -> None:
    """At 100% with a 10% cap, about a tenth of tenants (and never more than the cap allows) are on."""
    c = make_client({"f": _ramped(100, **{"pavedroad.maxTenantShare": 10})})
    on = sum(c.enabled("f", {"tenant": f"tenant-{t}"}) for t in range(5000))
    assert 350 < on < 650
    assert c.enabled("f", {"targetingKey": "no-tenant"}) is False


def test_targeting_decides_before_the_ramp() -> None:
    flag = _ramped(0)
    flag["targeting"] = {"if": [{"==": [{"var": "tenant"}, "beta"]}, "on"]}
    c = make_client({"f": flag})
    assert c.enabled("f", {"tenant": "beta"}) is True
    assert c.enabled("f", {"tenant": "other"}) is False


def test_context_for_principal() -> None:
    ctx = context_for(Principal("acme", 7, Role.ADMIN), plan="pro")
    assert ctx == {"tenant": "acme", "targetingKey": "acme:7", "role": "admin", "plan": "pro"}


@pytest.mark.parametrize("ctx", [{}, {"tenant": None}, {"tenant": 5, "targetingKey": ["x"]}, {"user": {"a": [1]}}])
def test_odd_contexts_never_raise(ctx: dict[str, Any]) -> None:
    flag = _ramped(50)
    flag["targeting"] = {"if": [{"<": [{"var": "user.a.0"}, 2]}, "on", None]}
    c = make_client({"f": flag})
    assert c.details("f", False, ctx).error_code is None
