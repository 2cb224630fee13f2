"""The artifact's assembly on small wheels: reproducible bytes, an SBOM of the shipped files, checksums,
and an install with networking disabled whose launcher runs the installed build."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pavedroad.release.artifact import PYTHON, Source, assemble

from .tiny import LOCK

COMMIT = "c0ffee" + "0" * 34


def _assemble(tmp_path: Path, wheels: Path, label: str) -> tuple[Path, Path, Path]:
    stage = tmp_path / label / "stage"
    shutil.copytree(wheels, stage / "wheels")
    lock = tmp_path / label / "uv.lock"
    lock.write_text(LOCK)
    out = tmp_path / label / "out"
    out.mkdir()
    source = Source(tmp_path, COMMIT, "1.2.3", 1_700_000_000)
    digest = hashlib.sha256((wheels / "tiny_dep-1.0-py3-none-any.whl").read_bytes()).hexdigest()
    pins = f"tiny-dep==1.0 \\\n    --hash=sha256:{digest}\n"
    return assemble(stage, out, source=source, pins=pins, lock=lock)


def test_two_assemblies_of_the_same_inputs_are_byte_identical(tmp_path: Path, tiny_wheels: Path) -> None:
    first = _assemble(tmp_path, tiny_wheels, "one")
    os.utime(tiny_wheels / "tiny_dep-1.0-py3-none-any.whl", (1, 1))  # a different date on disk changes nothing
    second = _assemble(tmp_path, tiny_wheels, "two")
    for a, b in zip(first, second, strict=True):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes()


def test_the_sbom_lists_each_shipped_wheel_with_its_hash_license_and_edges(tmp_path: Path, tiny_wheels: Path) -> None:
    _, sbom_path, checksums = _assemble(tmp_path, tiny_wheels, "one")
    bom = json.loads(sbom_path.read_text())
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.5")
    assert bom["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    root = bom["metadata"]["component"]
    assert (root["name"], root["version"], root["type"]) == ("pavedroad", "1.2.3", "application")
    assert root["licenses"] == [{"expression": "Apache-2.0"}]
    assert {"name": "pavedroad:commit", "value": COMMIT} in root["properties"]
    (dep,) = bom["components"]
    wheel = tiny_wheels / "tiny_dep-1.0-py3-none-any.whl"
    assert dep["purl"] == "pkg:pypi/tiny-dep@1.0"
    assert dep["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(wheel.read_bytes()).hexdigest()}]
    assert dep["licenses"] == [{"expression": "MIT"}]
    assert dep["externalReferences"][0]["url"].endswith("/tiny_dep-1.0-py3-none-any.whl")
    assert {"ref": "pkg:pypi/pavedroad@1.2.3", "dependsOn": ["pkg:pypi/tiny-dep@1.0"]} in bom["dependencies"]
    listed = dict(line.split("  ")[::-1] for line in checksums.read_text().splitlines())
    for path in checksums.parent.iterdir():
        if path != checksums:
            assert listed[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()


def _no_network_prefix() -> list[str]:
    """A command prefix that runs in a new network namespace (loopback only, down), or skip."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1): cannot disable networking for the install")
    for prefix in ([unshare, "-n"], [unshare, "-rn"]):
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    pytest.skip("this machine allows no network namespace (unshare -n / -rn both refused)")


@pytest.mark.slow
def test_the_artifact_installs_and_runs_with_networking_disabled(tmp_path: Path, tiny_wheels: Path) -> None:
    tarball, _, _ = _assemble(tmp_path, tiny_wheels, "one")
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    installer = tmp_path / "unpacked" / "pavedroad-1.2.3" / "install.sh"
    prefix = tmp_path / "opt"
    # the host's pip settings must not add sources: only the artifact's wheels are used
    env = {"PATH": os.environ["PATH"], "PYTHON": sys.executable, "HOME": str(tmp_path),
           "PIP_FIND_LINKS": str(tmp_path / "host-links"), "PIP_INDEX_URL": "http://127.0.0.1:9/simple"}  # fmt: skip
    offline = _no_network_prefix()
    probe = [*offline, sys.executable, "-c", "import socket; print([n for _, n in socket.if_nameindex()])"]
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip() == "['lo']"
    done = subprocess.run([*offline, str(installer), str(prefix)], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "host-links" not in done.stderr
    assert f"installed pavedroad 1.2.3 in {prefix}" in done.stdout
    ran = subprocess.run([str(prefix / "bin" / "pavedroad")], capture_output=True, text=True, check=True)
    assert '"commit": "c0ffee"' in ran.stdout
    assert "offline" in ran.stdout  # the dependency came from the artifact's wheels
    unit = (prefix / "systemd" / "pavedroad-serve.service").read_text()
    assert f"ExecStart={prefix}/bin/pavedroad serve" in unit
    assert json.loads((prefix / "BUILD-INFO.json").read_text())["python"] == PYTHON
    analyze = shutil.which("systemd-analyze")
    if analyze:  # directives parse and ExecStart is executable (no running systemd needed)
        units = sorted(str(p) for p in (prefix / "systemd").glob("*.service"))
        verified = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, check=False)
        assert (verified.returncode, verified.stderr) == (0, "")


def test_the_installer_refuses_another_python_with_the_reason(tmp_path: Path, tiny_wheels: Path) -> None:
    tarball, _, _ = _assemble(tmp_path, tiny_wheels, "one")
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    fake = tmp_path / "python-other"
    fake.write_text("#!/bin/sh\necho 2.7\n")
    fake.chmod(0o755)
    installer = tmp_path / "unpacked" / "pavedroad-1.2.3" / "install.sh"
    env = {"PATH": os.environ["PATH"], "PYTHON": str(fake)}
    done = subprocess.run([str(installer), str(tmp_path / "opt")], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert f"wheels are for CPython {PYTHON} and {fake} is 2.7" in done.stderr
    assert not (tmp_path / "opt").exists()
