"""The SBOM pavedroad writes is valid CycloneDX 1.5 JSON (the official schema, kept beside this test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from pavedroad.release import Source, assemble
from tests.unit.release.tiny import LOCK, make_wheel

SCHEMAS = Path(__file__).parent / "cyclonedx"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    def load(name: str) -> dict[str, object]:
        return dict(json.loads((SCHEMAS / name).read_text()))

    registry: Registry[Any] = Registry().with_resources(
        [(name, Resource.from_contents(load(name))) for name in ("spdx.schema.json", "jsf-0.82.schema.json")]
    )
    return Draft7Validator(load("bom-1.5.schema.json"), registry=registry)


def _sbom(tmp_path: Path) -> dict[str, object]:
    stage = tmp_path / "stage"
    (stage / "wheels").mkdir(parents=True)
    make_wheel(stage / "wheels", "pavedroad", "1.2.3+g0123.dirty", {"pavedroad/__init__.py": ""},
               license_expression="Apache-2.0")  # fmt: skip
    make_wheel(stage / "wheels", "tiny_dep", "1.0", {"tiny_dep/__init__.py": ""}, license_expression="MIT")
    (tmp_path / "uv.lock").write_text(LOCK)
    (tmp_path / "out").mkdir()
    source = Source(tmp_path, "c0ffee" + "0" * 34, "1.2.3+g0123.dirty", 1_700_000_000)
    _, sbom_path, _ = assemble(stage, tmp_path / "out", source=source, pins="", lock=tmp_path / "uv.lock")
    return dict(json.loads(sbom_path.read_text()))


def test_the_sbom_validates_against_the_cyclonedx_1_5_schema(validator: Draft7Validator, tmp_path: Path) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(_sbom(tmp_path))]
    assert errors == []


def test_the_schema_check_catches_a_malformed_sbom(validator: Draft7Validator, tmp_path: Path) -> None:
    document = _sbom(tmp_path)
    components = document["components"]
    assert isinstance(components, list)
    components[0]["hashes"][0]["alg"] = "SHA256"  # CycloneDX spells it SHA-256
    assert len(list(validator.iter_errors(document))) == 1


def test_the_vendored_schema_is_the_1_5_one() -> None:
    schema = json.loads((SCHEMAS / "bom-1.5.schema.json").read_text())
    assert schema["$id"] == "http://cyclonedx.org/schema/bom-1.5.schema.json"
