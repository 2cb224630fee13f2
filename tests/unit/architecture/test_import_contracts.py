"""The import-linter contracts in pyproject.toml hold, cover every package, and catch an upward import.

The contracts are only worth having if they fail: each case below copies the package to a temporary
directory, adds one import that breaks one contract, and runs ``lint-imports`` against the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "src" / "pavedroad"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}  # the copy shadows the installed package
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=package_parent,
        check=False,
        timeout=120,
    )


def test_the_package_keeps_every_contract(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "pavedroad", ignore=shutil.ignore_patterns("__pycache__"))
    result = _lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layers_name_every_top_level_package() -> None:
    """A new package must take a place in the layers; otherwise nothing would constrain its imports."""
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    listed = {m.strip() for layer in layers["layers"] for m in str(layer).split("|")}  # type: ignore[attr-defined]
    packages = {f"pavedroad.{p.stem}" for p in PACKAGE.iterdir() if p.suffix == ".py" and p.stem != "__init__"}
    packages |= {f"pavedroad.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert listed == packages


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("tenancy/principal.py", "import pavedroad.service.app", "Apps above blocks"),
        ("query/compiler.py", "import pavedroad.privacy", "Apps above blocks"),
        ("events/outbox.py", "import pavedroad.warehouse", "Apps above blocks"),
        ("query/model.py", "import pavedroad.recruiting.model", "Recruiting is a client"),
        ("slo/evaluator.py", "from pavedroad.testing import FakeClock", "does not import the testing package"),
        ("canary/decide.py", "import pavedroad.events.nats_server", "never loads the NATS launcher"),
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path: Path, module: str, bad_import: str, contract: str) -> None:
    copy = tmp_path / "pavedroad"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{bad_import}  # added by the contract test\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
    assert module.replace("/", ".").removesuffix(".py") in broken
