"""Small wheels made on the spot, so the artifact's mechanics are tested without the real wheelhouse."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

LOCK = """\
version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "pavedroad"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "tiny-dep" }]

[[package]]
name = "tiny-dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example.org/tiny_dep-1.0-py3-none-any.whl", hash = "sha256:00" }]
"""


def make_wheel(directory: Path, name: str, version: str, files: dict[str, str], *, scripts: str = "",
               license_expression: str = "") -> Path:  # fmt: skip
    """A valid pure-Python wheel (PEP 427): the given modules, METADATA, WHEEL, entry points and RECORD."""
    dist_info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.4\nName: {name.replace('_', '-')}\nVersion: {version}\n"
    if license_expression:
        meta += f"License-Expression: {license_expression}\n"
    content = {
        **files,
        f"{dist_info}/METADATA": meta,
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if scripts:
        content[f"{dist_info}/entry_points.txt"] = f"[console_scripts]\n{scripts}\n"
    record = []
    for path, text in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    content[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in content.items():
            zf.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return wheel


@pytest.fixture
def tiny_wheels(tmp_path: Path) -> Path:
    """A wheel directory: a stand-in pavedroad (console script printing its build file) and one dependency."""
    wheels = tmp_path / "made-wheels"
    wheels.mkdir()
    cli = (
        "import importlib.resources, tiny_dep\n"
        "def main():\n"
        "    print(importlib.resources.files('pavedroad').joinpath('_build.json').read_text(), tiny_dep.WORD)\n"
    )
    make_wheel(wheels, "pavedroad", "1.2.3", {"pavedroad/__init__.py": "", "pavedroad/cli.py": cli,
               "pavedroad/_build.json": '{"commit": "c0ffee"}'}, scripts="pavedroad = pavedroad.cli:main",
               license_expression="Apache-2.0")  # fmt: skip
    make_wheel(wheels, "tiny_dep", "1.0", {"tiny_dep/__init__.py": "WORD = 'offline'\n"}, license_expression="MIT")
    return wheels
