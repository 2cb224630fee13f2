"""Set up a fresh machine (Python 3.11+ and pip only) and run the main job or the tests.

    python3 scripts/bootstrap.py demo [args…]   # venv + locked install, then `pavedroad demo`
    python3 scripts/bootstrap.py test [args…]   # venv + locked install, lint, types, import layers, then the
                                                # test suite with branch coverage, summarised per block at the end

The virtual environment lives at .venv (tools and benchmarks expect it there); uv installs exactly the
versions in uv.lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
UV_VERSION = "0.13.9"  # keep equal to the uv pinned in uv.lock


def run(*args: str | Path) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def setup() -> None:
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    uv = BIN / "uv"
    pip_install = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not uv.exists() and run(*pip_install, f"uv=={UV_VERSION}"):
        sys.exit("could not install uv into .venv (is the package index reachable?)")
    # Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (some sandboxes and CI
    # images), nothing writes it later and every `pavedroad` start would compile every module (~2 s).
    env_ok = run(uv, "sync", "--frozen", "--quiet", "--compile-bytecode")
    if env_ok:
        sys.exit("`uv sync --frozen` failed: see the message above")
    run(BIN / "python", "-m", "compileall", "-q", ROOT / "src")  # the editable package's own modules


def ensure_browser() -> None:
    """Best effort: the browser tests need Debian's Chromium. Install it when we are root with apt-get;
    otherwise those tests skip and say why."""
    if shutil.which("chromium") or os.environ.get("PAVEDROAD_NO_BROWSER"):
        return
    apt = shutil.which("apt-get")
    if not (hasattr(os, "geteuid") and os.geteuid() == 0 and apt):
        print("no Chromium and not root with apt-get: browser tests will be skipped", flush=True)
        return
    print("installing Chromium for the browser tests (apt-get) …", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.call([apt, "update", "-qq"], env=env, **quiet) or subprocess.call(
        [apt, "install", "-y", "-qq", "chromium"], env=env, **quiet
    ):
        print("could not install Chromium: browser tests will be skipped", flush=True)


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is the one place an older Python may run
        sys.exit(f"pavedroad needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "setup"}:
        sys.exit(__doc__)
    setup()
    if sys.argv[1] == "setup":
        return
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    extra = sys.argv[2:]
    if sys.argv[1] == "demo":
        os.execv(BIN / "pavedroad", ["pavedroad", "demo", *extra])
    ensure_browser()
    steps = [
        [BIN / "ruff", "check", "src", "tests", "benchmarks"],
        [BIN / "mypy"],
        [BIN / "mypy", "tests"],  # non-strict for tests (the override in pyproject.toml)
        [BIN / "lint-imports"],  # the package layers in pyproject.toml [tool.importlinter]
    ]
    for step in steps:
        print("$", " ".join(Path(str(s)).name if i == 0 else str(s) for i, s in enumerate(step)), flush=True)
        if run(*step):
            sys.exit(1)
    # Branch coverage over src/ (settings in pyproject.toml), summarised per block after the run.
    # `coverage run` rather than `pytest --cov`: the plugins pytest loads first (-p in addopts) import
    # pavedroad before pytest-cov starts, which would leave their module-level lines unmeasured.
    code = run(BIN / "python", "-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider", *extra)
    if code == 5:  # pytest found no tests: that is a broken suite, not a pass
        print("pytest collected no tests", file=sys.stderr)
        sys.exit(1)
    run(BIN / "python", ROOT / "scripts" / "coverage_summary.py")
    sys.exit(code)


if __name__ == "__main__":
    main()
