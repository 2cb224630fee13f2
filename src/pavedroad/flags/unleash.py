"""Unleash importer: an Unleash features document (or delta events) → a pavedroad flag set, so teams can move.

Each Unleash feature ``F`` becomes two flags:

* ``F`` — boolean (``on``/``off``): ``on`` when the feature is enabled, its dependencies hold and one of
  its strategies (constraints and segments included) matches — Unleash's ``isEnabled``;
* ``F::variant`` — object: ``{"name", "payload", "enabled", "feature_enabled"}`` — Unleash's
  ``getVariant`` (strategy variants of the first matching strategy, else the feature's variants).

Strategies compile to the ``unleash_strategy``/``unleash_variant`` operators (``unleash_ops``); a
dependency inlines the parent's rule, as Unleash allows only one level (a parent with dependencies of its
own, a missing parent or a cycle disables the child). ``run_unleash_spec`` runs the Unleash client
specification through this importer and the direct client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pavedroad.flags import unleash_ops  # noqa: F401 - registers the unleash_* operators
from pavedroad.flags.conformance import SuiteResult
from pavedroad.flags.model import FlagSet, parse_flag_set

__all__ = ["VARIANT_SUFFIX", "apply_delta", "import_unleash", "run_unleash_spec"]

VARIANT_SUFFIX = "::variant"
_DISABLED = {"name": "disabled", "enabled": False, "feature_enabled": False}
_NO_VARIANT = {"name": "disabled", "enabled": False, "feature_enabled": True}


def apply_delta(events: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Fold Unleash delta-API events (hydration, feature/segment updated/removed) into a features document."""
    features: dict[str, Any] = {}
    segments: dict[Any, Any] = {}
    for e in events:
        kind = e.get("type")
        if kind == "hydration":
            features = {f["name"]: f for f in e.get("features", [])}
            segments = {s["id"]: s for s in e.get("segments", [])}
        elif kind == "feature-updated":
            features[e["feature"]["name"]] = e["feature"]
        elif kind == "feature-removed":
            features.pop(str(e.get("featureName")), None)
        elif kind == "segment-updated":
            segments[e["segment"]["id"]] = e["segment"]
        elif kind == "segment-removed":
            segments.pop(e.get("segmentId"), None)
    return {"version": 1, "features": list(features.values()), "segments": list(segments.values())}


class _Importer:
    def __init__(self, doc: Mapping[str, Any]) -> None:
        if "events" in doc and "features" not in doc:
            doc = apply_delta(doc["events"])
        self.features = {f["name"]: f for f in doc.get("features", [])}
        self.segments = {s["id"]: s for s in doc.get("segments", []) or []}

    def strategy(self, feature: str, s: Mapping[str, Any]) -> dict[str, Any]:
        constraints = list(s.get("constraints") or [])
        for seg_id in s.get("segments") or []:
            seg = self.segments.get(seg_id)
            if seg is None:
                return {"unleash_strategy": [{"name": "__missing_segment__"}, feature]}
            constraints.extend(seg.get("constraints") or [])
        spec = {"name": s.get("name"), "parameters": s.get("parameters") or {}, "constraints": constraints}
        return {"unleash_strategy": [spec, feature]}

    def enabled(self, name: str, *, as_parent: bool = False) -> Any:
        f = self.features.get(name)
        if f is None or not f.get("enabled", False) or (as_parent and f.get("dependencies")):
            return False
        parts: list[Any] = []
        for dep in f.get("dependencies") or []:
            parent = dep.get("feature", "")
            parent_on = self.enabled(parent, as_parent=True)
            if parent not in self.features or self.features[parent].get("dependencies"):
                return False
            if dep.get("enabled", True) is False:
                parts.append({"!": [parent_on]})
                continue
            parts.append(parent_on)
            if dep.get("variants"):
                parts.append({"in": [self.variant_name(parent), [str(v) for v in dep["variants"]]]})
        strategies = f.get("strategies") or []
        if strategies:
            parts.append({"or": [self.strategy(name, s) for s in strategies]})
        return {"and": parts} if parts else True

    def choice(self, name: str, fallback: str) -> Any:
        """The chosen variant name of an enabled feature (``fallback`` when it has none)."""
        f = self.features[name]
        feature_level: Any = fallback
        if f.get("variants"):
            feature_level = {"or": [{"unleash_variant": [name, f["variants"]]}, fallback]}
        chain: list[Any] = []
        for s in f.get("strategies") or []:
            if s.get("variants"):
                group = (s.get("parameters") or {}).get("groupId") or name
                stickiness = (s.get("parameters") or {}).get("stickiness")
                chain += [self.strategy(name, s), {"unleash_variant": [group, s["variants"], stickiness]}]
            else:
                chain += [self.strategy(name, s), feature_level]
        return {"if": [*chain, feature_level]} if chain else feature_level

    def variant_name(self, name: str) -> Any:
        return {"if": [self.enabled(name, as_parent=True), self.choice(name, "disabled"), "disabled"]}

    def flags(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, f in self.features.items():
            enabled = self.enabled(name)
            out[name] = {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"if": [enabled, "on", "off"]},
                "metadata": {"pavedroad.importedFrom": "unleash"},
            }
            variants: dict[str, Any] = {"__disabled": _DISABLED, "__none": _NO_VARIANT}
            for v in [
                *(f.get("variants") or []),
                *(v for s in f.get("strategies") or [] for v in s.get("variants") or []),
            ]:
                body = {"name": v["name"], "enabled": True, "feature_enabled": True}
                if v.get("payload") is not None:
                    body["payload"] = v["payload"]
                variants[v["name"]] = body
            out[name + VARIANT_SUFFIX] = {
                "state": "ENABLED",
                "variants": variants,
                "defaultVariant": "__disabled",
                "targeting": {"if": [enabled, self.choice(name, "__none"), "__disabled"]},
                "metadata": {"pavedroad.importedFrom": "unleash"},
            }
        return out


def import_unleash(doc: Mapping[str, Any]) -> FlagSet:
    """Convert an Unleash client features document (``/api/client/features`` or delta events) to a flag set."""
    return parse_flag_set({"flags": _Importer(doc).flags()})


def run_unleash_spec(spec_dir: Path) -> SuiteResult:
    """Run the Unleash client specification (``specifications/*.json``) through the importer."""
    from pavedroad.flags.client import FlagClient
    from pavedroad.flags.runtime import FlagRuntime
    from pavedroad.flags.store import StoreState

    base = spec_dir / "specifications"
    result = SuiteResult()
    for file in json.loads((base / "index.json").read_text()):
        spec = json.loads((base / file).read_text())
        client = FlagClient(FlagRuntime(state=StoreState(1, import_unleash(spec["state"]))))
        for t in spec.get("tests", []):
            got = client.enabled(t["toggleName"], t["context"], default=False)
            if got == t["expectedResult"]:
                result.passed += 1
            else:
                result.failures.append(f"{file}: {t['description']}: got {got}, expected {t['expectedResult']}")
        for t in spec.get("variantTests", []):
            got = client.value(t["toggleName"] + VARIANT_SUFFIX, _DISABLED, t["context"])
            want = t["expectedResult"]
            if got == want:
                result.passed += 1
            else:
                result.failures.append(f"{file}: {t['description']}: got {got}, expected {want}")
    return result
