"""A CycloneDX 1.5 JSON SBOM of exactly the wheels an artifact ships.

Written here rather than by a generator that inspects an environment: it describes the shipped files
themselves (each wheel's SHA-256, its download URL from uv.lock, its ``License-Expression``), takes the
dependency graph from uv.lock, needs no network and no extra dependency, and is deterministic (no
clock, no random serial number: the serial is a UUID derived from the version and commit, the timestamp
is the build's SOURCE_DATE_EPOCH), so two builds of one commit write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import uuid
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pavedroad.errors import InvalidInput

__all__ = ["Wheel", "normalize", "purl", "sbom", "sha256_file", "wheel_of"]

SPEC_VERSION = "1.5"


@dataclass(frozen=True, slots=True)
class Wheel:
    """One shipped wheel: its distribution name (normalized), version, file and the file's SHA-256."""

    name: str
    version: str
    path: Path
    sha256: str


def normalize(name: str) -> str:
    """PEP 503 name normalization (what uv.lock and purls use)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_of(path: Path) -> Wheel:
    """The name and version a wheel's file name declares (``name-version-…whl``, PEP 427)."""
    parts = path.name.removesuffix(".whl").split("-")
    if not path.name.endswith(".whl") or len(parts) < 5:
        raise InvalidInput(f"{path.name} is not a wheel file name", hint="name-version-python-abi-platform.whl")
    return Wheel(normalize(parts[0]), parts[1], path, sha256_file(path))


def purl(name: str, version: str) -> str:
    """The package URL of a PyPI distribution (``+`` of a local version percent-encoded)."""
    return f"pkg:pypi/{normalize(name)}@{quote(version, safe='')}"


def _license(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as whl:
        meta = next((n for n in whl.namelist() if n.endswith(".dist-info/METADATA")), None)
        if meta is None:
            return []
        headers = HeaderParser().parsestr(whl.read(meta).decode("utf-8", "replace"))
    expression = headers.get("License-Expression")
    return [{"expression": expression.strip()}] if expression else []


def _component(wheel: Wheel, urls: dict[str, str]) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": "library",
        "bom-ref": purl(wheel.name, wheel.version),
        "name": wheel.name,
        "version": wheel.version,
        "purl": purl(wheel.name, wheel.version),
        "hashes": [{"alg": "SHA-256", "content": wheel.sha256}],
    }
    licenses = _license(wheel.path)
    if licenses:
        component["licenses"] = licenses
    if wheel.path.name in urls:
        component["externalReferences"] = [{"type": "distribution", "url": urls[wheel.path.name]}]
    return component


def sbom(lock: Path, wheels: list[Wheel], *, root: Wheel, commit: str, timestamp: str) -> str:
    """The SBOM JSON text: ``root`` (the pavedroad wheel) as the described component, every other
    shipped wheel as a library, and the dependency edges uv.lock records between shipped packages."""
    packages = tomllib.loads(lock.read_text())["package"]
    urls = {w["url"].rsplit("/", 1)[-1]: w["url"] for p in packages for w in p.get("wheels", [])}
    shipped = {w.name: w for w in wheels}
    edges: dict[str, list[str]] = {}
    for package in packages:
        name = normalize(package["name"])
        if name in shipped or name == root.name:
            deps = {normalize(d["name"]) for d in package.get("dependencies", [])}
            edges[name] = sorted(purl(d, shipped[d].version) for d in deps if d in shipped)
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, purl(root.name, root.version) + '#' + commit)}",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [{"type": "application", "name": "pavedroad build", "version": root.version}]},
            "component": {
                **_component(root, urls),
                "type": "application",
                "properties": [{"name": "pavedroad:commit", "value": commit}],
            },
        },
        "components": [_component(w, urls) for w in sorted(wheels, key=lambda w: w.name)],
        "dependencies": [
            {"ref": purl(name, root.version if name == root.name else shipped[name].version), "dependsOn": deps}
            for name, deps in sorted(edges.items())
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
