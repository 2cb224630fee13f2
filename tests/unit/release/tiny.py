"""Small wheels and a small uv.lock made on the spot: the artifact's mechanics without the real wheelhouse."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

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
