"""Which pavedroad is this: version, commit and build time, from a build or from the git checkout.

A built artifact carries ``pavedroad/_build.json`` (written into the package at build time, never
committed), so an installation answers without git. A checkout asks git. Versions follow PEP 440 and
are derived from tags named ``vX.Y.Z``: exactly on a tag the version is the tag's; N commits after it,
``X.Y.(Z+1).devN+g<sha>`` (sorts after the tag and before the next release, as setuptools-scm does);
with no tag yet, ``<pyproject version>.devN+g<sha>`` where N counts every commit.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pavedroad.errors import InvalidInput

__all__ = [
    "BUILD_FILE",
    "BuildInfo",
    "Describe",
    "build_info",
    "checkout_root",
    "describe",
    "iso_utc",
    "pep440",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BUILD_FILE = PACKAGE_DIR / "_build.json"
SHORT_SHA = 12
_TAG = re.compile(r"^v(?P<version>\d+(?:\.\d+)*)$")


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What ``pavedroad version`` prints. ``source`` says where it was read: ``artifact`` (a build's
    ``_build.json``), ``checkout`` (git) or ``installed`` (package metadata only: no commit known)."""

    version: str
    commit: str
    built_at: str
    source: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class Describe:
    """A commit's place relative to the latest release tag (``tag`` is None when there is none)."""

    tag: str | None
    distance: int
    commit: str
    dirty: bool = False


def iso_utc(epoch: int) -> str:
    """A Unix time as ISO 8601 UTC, second precision (the form builds record)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pep440(d: Describe, *, untagged_base: str) -> str:
    """The PEP 440 version of a commit. ``untagged_base`` is the next release's version (pyproject's)
    used while no tag exists. Raises InvalidInput for a tag that is not ``vX.Y.Z``."""
    local = f"g{d.commit[:SHORT_SHA]}" + (".dirty" if d.dirty else "")
    if d.tag is None:
        return f"{untagged_base}.dev{d.distance}+{local}"
    match = _TAG.match(d.tag)
    if match is None:
        raise InvalidInput(f"release tag {d.tag!r} is not of the form vX.Y.Z", hint="tag releases as e.g. v0.2.0")
    if d.distance == 0:
        return match["version"] + (f"+{local}" if d.dirty else "")
    parts = match["version"].split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return f"{'.'.join(parts)}.dev{d.distance}+{local}"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)  # noqa: S607
    if done.returncode != 0:
        raise InvalidInput(f"git {' '.join(args)} failed in {root}: {done.stderr.strip()}", hint="is git installed?")
    return done.stdout.strip()


def describe(root: Path, rev: str = "HEAD", *, dirty: bool = False) -> Describe:
    """Where ``rev`` stands relative to the latest ``v*`` tag reachable from it."""
    commit = _git(root, "rev-parse", f"{rev}^{{commit}}")
    tags = subprocess.run(
        ["git", "-C", str(root), "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", rev],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    is_dirty = dirty and bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    if tags.returncode != 0:  # no release tag yet
        return Describe(None, int(_git(root, "rev-list", "--count", rev)), commit, is_dirty)
    tag = tags.stdout.strip()
    return Describe(tag, int(_git(root, "rev-list", "--count", f"{tag}..{rev}")), commit, is_dirty)


def project_version(root: Path) -> str:
    """The ``[project] version`` in pyproject.toml: the next release, used while no tag exists."""
    import tomllib

    with (root / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def checkout_root(start: Path = PACKAGE_DIR) -> Path | None:
    """The root of the pavedroad git checkout the package runs from, or None for an installed package."""
    for candidate in (start, *start.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / ".git").exists():
            return candidate
    return None


def build_info() -> BuildInfo:
    """This running pavedroad's version, commit and build time (see the module docstring for where from)."""
    if BUILD_FILE.is_file():
        data = json.loads(BUILD_FILE.read_text())
        return BuildInfo(data["version"], data["commit"], data["built_at"], "artifact")
    root = checkout_root()
    if root is not None:
        try:
            d = describe(root, dirty=True)
            committed = int(_git(root, "log", "-1", "--format=%ct", d.commit))
        except InvalidInput:
            pass
        else:
            version = pep440(d, untagged_base=project_version(root))
            return BuildInfo(version, d.commit, f"not built: a checkout (committed {iso_utc(committed)})", "checkout")
    return BuildInfo(metadata.version("pavedroad"), "unknown", "unknown", "installed")
