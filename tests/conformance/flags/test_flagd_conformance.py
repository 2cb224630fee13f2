"""flagd conformance: the testbed's evaluator suite and the flagd-schemas fixtures (read from ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from pavedroad.flags import Reason, compile_snapshot, parse_flag_set, validate_flag_set, validate_targeting
from pavedroad.flags.conformance import run_flagd_evaluator

REASONS = {Reason.STATIC, Reason.DEFAULT, Reason.TARGETING_MATCH, Reason.SPLIT, Reason.DISABLED, Reason.ERROR}


def test_flagd_testbed_evaluator_suite_passes_with_hash_v2(conformance_dir: Path) -> None:
    """Every evaluator scenario passes (fractional v2 examples; the v1 tables are skipped by design)."""
    result = run_flagd_evaluator(conformance_dir / "flagd-testbed")
    assert result.total > 100
    assert result.failures == []


def _fixtures(base: Path, kind: str, sign: str) -> list[Path]:
    return sorted((base / "flagd-schemas" / "test" / kind / sign).glob("*.json"))


@pytest.mark.parametrize("kind", ["flags", "flagd"])
def test_positive_flag_set_fixtures_validate(conformance_dir: Path, kind: str) -> None:
    files = _fixtures(conformance_dir, kind, "positive")
    assert files
    for path in files:
        doc = json.loads(path.read_text())
        daemon = kind == "flagd" or str(doc.get("$schema", "")).endswith("flagd.json")
        assert validate_flag_set(doc, allow_array=daemon) == [], path.name


def test_negative_flag_set_fixtures_are_rejected(conformance_dir: Path) -> None:
    files = _fixtures(conformance_dir, "flags", "negative")
    assert len(files) >= 9
    for path in files:
        assert validate_flag_set(json.loads(path.read_text())), path.name


def test_targeting_fixtures(conformance_dir: Path) -> None:
    """Positive targeting fixtures validate; every negative one is reported."""
    for path in _fixtures(conformance_dir, "targeting", "positive"):
        assert validate_targeting(json.loads(path.read_text())) == [], path.name
    negatives = _fixtures(conformance_dir, "targeting", "negative")
    assert len(negatives) >= 9
    for path in negatives:
        assert validate_targeting(json.loads(path.read_text())), path.name


def test_flagd_examples_load_unchanged_and_validation_agrees_with_the_schema(conformance_dir: Path) -> None:
    """The example files load and evaluate as they are; our validator accepts exactly what the schema accepts."""
    validator = _schema_validator(conformance_dir)
    for path in sorted((conformance_dir / "flagd-schemas" / "examples").glob("*.json")):
        doc = json.loads(path.read_text())
        snapshot = compile_snapshot(parse_flag_set(doc))
        for key, flag in snapshot.flags.items():
            assert flag.resolve({"targetingKey": "someone"})[1] in REASONS, key
        schema_ok = not list(validator.iter_errors(doc))
        assert (validate_flag_set(doc) == []) == schema_ok, path.name


def _schema_validator(conformance_dir: Path) -> jsonschema.Draft7Validator:
    base = conformance_dir / "flagd-schemas"
    schemas = {name: json.loads((base / name).read_text()) for name in ("flags.json", "targeting.json")}
    registry: Registry = Registry().with_resources(
        [(s["$id"], Resource.from_contents(s)) for s in schemas.values()]
        + [("./targeting.json", Resource.from_contents(schemas["targeting.json"]))]
    )
    return jsonschema.Draft7Validator(schemas["flags.json"], registry=registry)


def test_our_metadata_additions_stay_schema_valid(conformance_dir: Path) -> None:
    """A flag with every pavedroad.* key validates against the real flagd JSON Schema."""
    doc = {
        "flags": {
            "new-ui": {
                "state": "ENABLED",
                "variants": {"on": True, "off": False},
                "defaultVariant": "off",
                "targeting": {"if": [{"in": [{"var": "tenant"}, ["acme"]]}, "on"]},
                "metadata": {
                    "pavedroad.owner": "team-ats",
                    "pavedroad.expires": "2027-01-31",
                    "pavedroad.hashVersion": "v2",
                    "pavedroad.stickiness": "tenant",
                    "pavedroad.rollout": "on",
                    "pavedroad.ramp": "1%:1h,5%:4h,25%:1d,100%",
                    "pavedroad.rampStep": 0,
                    "pavedroad.rampSince": 1_700_000_000,
                    "pavedroad.guard": "green",
                    "pavedroad.safeStep": -1,
                    "pavedroad.maxTenantShare": 20,
                },
            }
        }
    }
    validator = _schema_validator(conformance_dir)
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert validate_flag_set(doc) == []
