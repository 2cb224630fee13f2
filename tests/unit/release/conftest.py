"""Fixtures of the release tests: a directory of small wheels (see ``tiny``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .tiny import make_wheel


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
