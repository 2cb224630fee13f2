"""Sloth-compatible mode reproduces Sloth's own generated rules for the same specs and flags.

Expressions are compared token by token with numbers compared as numbers (Sloth writes Go floats such
as ``0.0009999999999999432``); groups, rule names, labels and annotations must be equal.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pavedroad.slo import generate_rules, load_specs, sloth_alert_windows

VERSION = "v-test"
_TOKEN = re.compile(r"\d+\.\d+(?:e[+-]?\d+)?|\d+(?:e[+-]?\d+)?(?![a-zA-Z_])|\S")


def _render_template(text: str) -> str:
    text = text.replace("{{ .version }}", VERSION)
    return re.sub(r'\{\{"(\{\{\$labels\.[a-z_]+\}\})"\}\}', r"\1", text)


def _tokens(expr: str) -> list[object]:
    out: list[object] = []
    for token in _TOKEN.findall(re.sub(r"\s+", "", expr)):
        try:
            out.append(float(token))
        except ValueError:
            out.append(token)
    return out


def _same_expr(ours: str, theirs: str) -> bool:
    a, b = _tokens(ours), _tokens(theirs)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-12, abs_tol=0.0):
                return False
        elif x != y:
            return False
    return True


def assert_same_rules(ours: dict[str, Any], expected: dict[str, Any]) -> None:
    assert [g["name"] for g in ours["groups"]] == [g["name"] for g in expected["groups"]]
    for group, want in zip(ours["groups"], expected["groups"], strict=True):
        names = [r.get("record") or r.get("alert") for r in group["rules"]]
        assert names == [r.get("record") or r.get("alert") for r in want["rules"]], group["name"]
        for rule, exp in zip(group["rules"], want["rules"], strict=True):
            where = f"{group['name']}/{rule.get('record') or rule.get('alert')}"
            assert rule.get("labels", {}) == exp.get("labels", {}), where
            assert rule.get("annotations", {}) == exp.get("annotations", {}), where
            assert _same_expr(rule["expr"], exp["expr"]), f"{where}\nours:\n{rule['expr']}\nsloth:\n{exp['expr']}"


CASES = [
    ("out-base.yaml.tpl", "in-base.yaml", {}),
    ("out-base-no-alerts.yaml.tpl", "in-base.yaml", {"disable_alerts": True}),
    ("out-base-no-recordings.yaml.tpl", "in-base.yaml", {"disable_recordings": True}),
    ("out-base-extra-labels.yaml.tpl", "in-base.yaml", {"extra_labels": {"exk1": "exv1", "exk2": "exv2"}}),
    ("out-base-28d.yaml.tpl", "in-base.yaml", {"period": 28}),
    ("out-base-custom-windows-7d.yaml.tpl", "in-base.yaml", {"windows_file": "test-7d.yaml"}),
    ("out-openslo.yaml.tpl", "in-openslo.yaml", {}),
    ("out-multifile.yaml.tpl", "in-multifile.yaml", {}),
]


@pytest.mark.parametrize(("expected", "given", "flags"), CASES, ids=[c[0] for c in CASES])
def test_sloth_mode_matches_golden(conformance_dir: Path, expected: str, given: str, flags: dict[str, Any]) -> None:
    """Each Sloth integration golden file is reproduced by `pavedroad slo rules --sloth` with the same flags."""
    root = conformance_dir / "sloth"
    options: dict[str, Any] = {}
    if "period" in flags:
        options["period_s"] = flags["period"] * 86400.0
    if "windows_file" in flags:
        period, rules = sloth_alert_windows(yaml.safe_load((root / "windows" / flags["windows_file"]).read_text()))
        options.update(period_s=period, windows=rules)
    slos = load_specs(root / "testdata" / given, **options)
    ours = generate_rules(
        slos,
        mode="sloth",
        version=VERSION,
        extra_labels=flags.get("extra_labels"),
        disable_alerts=flags.get("disable_alerts", False),
        disable_recordings=flags.get("disable_recordings", False),
    )
    docs = [d for d in yaml.safe_load_all(_render_template((root / "testdata" / expected).read_text())) if d]
    assert_same_rules(ours, {"groups": [g for d in docs for g in d["groups"]]})


EXAMPLES = ["getting-started", "kubernetes-apiserver", "no-alerts", "raw-home-wifi", "openslo-getting-started"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_sloth_mode_matches_examples(conformance_dir: Path, name: str) -> None:
    """Sloth's example specs give Sloth's own generated example output (generated with -l cmd=examplesgen.sh)."""
    root = conformance_dir / "sloth" / "examples"
    slos = load_specs(root / f"{name}.yml")
    ours = generate_rules(slos, mode="sloth", version="dev", extra_labels={"cmd": "examplesgen.sh"})
    want = yaml.safe_load((root / f"gen-{name}.yml").read_text())
    assert_same_rules(ours, want)


def test_invalid_version_is_refused(conformance_dir: Path) -> None:
    """Sloth refuses `version: prometheus/v999`; so do we, naming the version."""
    from pavedroad.slo import SLOSpecError

    with pytest.raises(SLOSpecError, match="prometheus/v999"):
        load_specs(conformance_dir / "sloth" / "testdata" / "in-invalid-version.yaml")
