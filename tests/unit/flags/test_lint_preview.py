"""Stale-flag lint and the who-flips preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pavedroad.flags import Flag, parse_flag_set
from pavedroad.flags.preview import who_flips
from pavedroad.flags.stale_flags import find_references, lint_flag_set
from pavedroad.testing import FakeClock

DAY = 86400.0


def _set(**flags: Any) -> Any:
    return parse_flag_set({"flags": flags})


def test_lint_finds_expired_fully_on_unreferenced_and_invalid(tmp_path: Path) -> None:
    clock = FakeClock()
    now = clock.time()
    flags = _set(
        expired={"state": "ENABLED", "variants": {"on": True}, "metadata": {"pavedroad.expires": "2020-01-01"}},
        launched={"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"},
        ramped={
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "metadata": {
                "pavedroad.ramp": "50%:1d,100%",
                "pavedroad.rampStep": 0,
                "pavedroad.rampSince": now - 40 * DAY,
            },
        },
        young={
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "metadata": {"pavedroad.ramp": "100%", "pavedroad.rampStep": 0, "pavedroad.rampSince": now - DAY},
        },
        broken={"state": "ENABLED", "variants": {"on": True}, "defaultVariant": "nope"},
    )
    (tmp_path / "app.py").write_text("if flags.enabled(\"launched\", ctx): ...\nif flags.enabled('young'): ...\n")
    refs = find_references(flags.flags, [tmp_path])
    findings = {(f.key, f.kind) for f in lint_flag_set(flags, now=now, changed_at={"launched": now - 30 * DAY},
                                                       references=refs)}  # fmt: skip
    assert ("expired", "expired") in findings
    assert ("launched", "fully-on") in findings
    assert ("ramped", "fully-on") in findings
    assert ("young", "fully-on") not in findings
    assert ("broken", "invalid") in findings
    assert ("ramped", "unreferenced") in findings
    assert ("launched", "unreferenced") not in findings


def test_who_flips_counts_tenants_that_change() -> None:
    """Raising a tenant-sticky ramp from 10% to 50% flips only tenants, never back, and counts them."""
    base: dict[str, Any] = {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off"}
    before = Flag.model_validate({**base, "metadata": {"pavedroad.ramp": "10%", "pavedroad.rampStep": 0}})
    after = Flag.model_validate({**base, "metadata": {"pavedroad.ramp": "50%", "pavedroad.rampStep": 0}})
    subjects = [{"tenant": f"t{i}", "targetingKey": f"t{i}:u{j}"} for i in range(400) for j in range(3)]
    report = who_flips("f", before, after, subjects, now=0.0)
    assert set(report.moves) == {"off → on"}
    assert report.flipped == 3 * len(report.tenants)
    assert 100 < len(report.tenants) < 220
