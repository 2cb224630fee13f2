"""``pavedroad build``: one offline, reproducible artifact from the committed tree.

Steps (each deterministic given the commit and uv.lock):

1. Export the commit with ``git archive`` (uncommitted changes never leak into a build), set its
   pyproject version to the PEP 440 version of the commit, and write ``pavedroad/_build.json``
   (version, commit, build time = SOURCE_DATE_EPOCH = the commit's time unless set).
2. Build the pavedroad wheel with ``uv build`` (hatchling, pinned in ``[tool.uv]
   build-constraint-dependencies``, writes reproducible wheels from SOURCE_DATE_EPOCH).
3. Collect every locked runtime dependency as a wheel: ``uv export --frozen --no-dev`` gives the pins
   with their SHA-256 hashes; pip downloads exactly those files (``--require-hashes``) into a cache
   directory once, and every later build copies them from there with no network.
4. Lay out ``wheels/``, ``requirements.txt`` (pins + hashes, pavedroad's included), ``install.sh``,
   ``bin/pavedroad``, ``systemd/*.service``, ``BUILD-INFO.json`` and ``sbom.cdx.json``, and write them as
   a reproducible tarball (``tarball.write_tarball``); the SBOM and ``<name>.SHA256SUMS`` go beside it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pavedroad.errors import InvalidInput, Unavailable
from pavedroad.release.sbom import Wheel, sbom, sha256_file, wheel_of
from pavedroad.release.tarball import write_tarball
from pavedroad.release.version import describe, iso_utc, pep440, project_version

__all__ = ["Artifact", "Source", "assemble", "build", "default_cache", "source_of"]

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
_VERSION_LINE = re.compile(r'^version = "[^"]*"$', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Source:
    """The commit a build is made from: its version, SHA and SOURCE_DATE_EPOCH."""

    root: Path
    commit: str
    version: str
    epoch: int


@dataclass(frozen=True, slots=True)
class Artifact:
    """What a build wrote: the tarball, the SBOM and the checksums file beside them."""

    tarball: Path
    sbom: Path
    checksums: Path
    version: str
    commit: str
    seconds: float


def default_cache() -> Path:
    """Where downloaded wheels are kept between builds (hash-checked on every use)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pavedroad" / "wheels"


def _run(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, what: str) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Unavailable(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _tool(name: str) -> str:
    """A tool from this interpreter's environment (the project's .venv), else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise InvalidInput(
            f"{name} not found", hint="run from the project's .venv (`python3 scripts/bootstrap.py setup`)"
        )
    return found


def source_of(root: Path, rev: str = "HEAD") -> Source:
    """The commit to build. SOURCE_DATE_EPOCH from the environment wins over the commit time."""
    if not (root / ".git").exists():
        raise InvalidInput(f"{root} is not a git checkout", hint="build from a clone of the pavedroad repository")
    d = describe(root, rev)
    epoch_env = os.environ.get("SOURCE_DATE_EPOCH")
    epoch = (
        int(epoch_env)
        if epoch_env
        else int(_run(["git", "-C", str(root), "log", "-1", "--format=%ct", d.commit], what="git log"))
    )
    return Source(root, d.commit, pep440(d, untagged_base=project_version(root)), epoch)


def _export(source: Source, into: Path) -> None:
    """The committed tree, with the build's version and ``_build.json`` written into it."""
    archive = subprocess.run(
        ["git", "-C", str(source.root), "archive", "--format=tar", source.commit],  # noqa: S607
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise Unavailable(f"git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    tar_path = into.parent / "source.tar"
    tar_path.write_bytes(archive.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    pyproject = into / "pyproject.toml"
    text, count = _VERSION_LINE.subn(f'version = "{source.version}"', pyproject.read_text(), count=1)
    if count != 1:
        raise InvalidInput('pyproject.toml has no `version = "..."` line in [project]')
    pyproject.write_text(text)
    (into / "src" / "pavedroad" / "_build.json").write_text(_build_json(source))


def _build_json(source: Source) -> str:
    """What ``pavedroad version`` reads in an installation (``pavedroad/_build.json``)."""
    info = {"version": source.version, "commit": source.commit, "built_at": iso_utc(source.epoch), "python": PYTHON}
    return json.dumps(info, indent=2, sort_keys=True) + "\n"


def _wheel(tree: Path, out: Path, env: dict[str, str]) -> Path:
    _run([_tool("uv"), "build", "--wheel", "--quiet", "--out-dir", str(out), str(tree)], env=env, what="uv build")
    (wheel,) = out.glob("pavedroad-*.whl")
    return wheel


def _requirements(tree: Path) -> str:
    """The locked runtime dependencies, pinned with every allowed file's SHA-256 (uv.lock's)."""
    argv = [_tool("uv"), "export", "--frozen", "--no-dev", "--no-emit-project", "--no-header", "--format",
            "requirements-txt", "--project", str(tree)]  # fmt: skip
    return _run(argv, what="uv export")


def _download(requirements: Path, cache: Path, into: Path, log: Callable[[str], None]) -> None:
    """Every pinned wheel for this interpreter into ``into``: from ``cache`` without network when it
    holds them all, otherwise downloaded into ``cache`` first. pip checks each file's hash either way."""
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--require-hashes",
           "-r", str(requirements)]  # fmt: skip
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    offline = [*pip, "--no-index", "--find-links", str(cache), "-d", str(into)]
    cache.mkdir(parents=True, exist_ok=True)
    if subprocess.run(offline, env=env, capture_output=True, check=False).returncode == 0:
        return
    log(f"downloading the locked wheels into {cache} (once; later builds need no network)…")
    _run([*pip, "-d", str(cache)], env=env, what="pip download of the locked wheels")
    _run(offline, env=env, what="pip download from the wheel cache")


def _template(name: str, **values: str) -> str:
    text = resources.files("pavedroad.release").joinpath("files", name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def _write(path: Path, text: str, *, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755 if executable else 0o644)


def build(
    root: Path,
    out: Path,
    *,
    cache: Path | None = None,
    rev: str = "HEAD",
    log: Callable[[str], None] = lambda _: None,
) -> Artifact:
    """Build the artifact of ``rev`` into ``out``; the same commit always gives the same bytes."""
    started = time.monotonic()
    source = source_of(root, rev)
    name = f"pavedroad-{source.version}"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(source.epoch)}
    with tempfile.TemporaryDirectory(prefix="pavedroad-build-") as tmp:
        work = Path(tmp)
        tree, stage = work / "src", work / name
        log(f"building {name} from commit {source.commit[:12]}")
        if describe(root, rev, dirty=True).dirty:
            log("note: the work tree has uncommitted changes; the artifact holds the commit only")
        tree.mkdir()
        _export(source, tree)
        own = _wheel(tree, work / "own", env)
        pins = _requirements(tree)
        (work / "requirements.txt").write_text(pins)
        _download(work / "requirements.txt", cache or default_cache(), stage / "wheels", log)
        shutil.copy2(own, stage / "wheels" / own.name)
        tarball, sbom_path, checksums = assemble(stage, out, source=source, pins=pins, lock=tree / "uv.lock")
    return Artifact(tarball, sbom_path, checksums, source.version, source.commit, time.monotonic() - started)


def assemble(stage: Path, out: Path, *, source: Source, pins: str, lock: Path) -> tuple[Path, Path, Path]:
    """Complete ``stage`` (which holds ``wheels/``, pavedroad's included) and write the tarball, the SBOM and
    SHA256SUMS into ``out``. ``pins`` are the dependencies' requirement lines; pavedroad's pin is added."""
    wheels = sorted((wheel_of(p) for p in (stage / "wheels").glob("*.whl")), key=lambda w: w.path.name)
    root_wheel = next((w for w in wheels if w.name == "pavedroad"), None)
    if root_wheel is None:
        raise InvalidInput(f"no pavedroad wheel in {stage / 'wheels'}")
    pins += f"pavedroad=={source.version} \\\n    --hash=sha256:{root_wheel.sha256}\n"
    _layout(stage, source, pins=pins, wheels=wheels, root_wheel=root_wheel, lock=lock)
    name = f"pavedroad-{source.version}"
    tarball = out / f"{name}-cp{PYTHON.replace('.', '')}-linux_{os.uname().machine}.tar.gz"
    write_tarball(stage, tarball, prefix=name, mtime=source.epoch)
    sbom_path = out / f"{name}.cdx.json"
    shutil.copyfile(stage / "sbom.cdx.json", sbom_path)
    checksums = out / f"{name}.SHA256SUMS"
    checksums.write_text("".join(f"{sha256_file(p)}  {p.name}\n" for p in sorted((tarball, sbom_path))))
    return tarball, sbom_path, checksums


def _layout(stage: Path, source: Source, *, pins: str, wheels: list[Wheel], root_wheel: Wheel, lock: Path) -> None:
    values = {"VERSION": source.version, "PYTHON": PYTHON}
    _write(stage / "requirements.txt", pins)
    _write(stage / "install.sh", _template("install.sh", **values), executable=True)
    _write(stage / "bin" / "pavedroad", _template("bin/pavedroad"), executable=True)
    for unit in ("pavedroad-serve.service", "pavedroad-worker.service"):
        _write(stage / "systemd" / unit, _template(f"systemd/{unit}"))
    _write(stage / "BUILD-INFO.json", _build_json(source))
    others = [w for w in wheels if w is not root_wheel]
    document = sbom(lock, others, root=root_wheel, commit=source.commit, timestamp=iso_utc(source.epoch))
    _write(stage / "sbom.cdx.json", document)
    for wheel in wheels:
        wheel.path.chmod(0o644)
