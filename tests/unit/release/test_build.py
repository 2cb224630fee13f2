"""``build()`` end to end on a tiny project (no dependencies, so no wheel downloads): two builds of one
commit are byte-identical, the version comes from the tags, and only the committed tree is built."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pavedroad.release import build

PYPROJECT = """\
[project]
name = "pavedroad"
version = "0.0.1"
requires-python = ">=3.11"
dependencies = []

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/pavedroad"]

[tool.uv]
build-constraint-dependencies = ["hatchling==1.33.0"]
"""


def _git(repo: Path, *args: str, when: int = 1_700_000_000) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": f"@{when} +0000",
           "GIT_COMMITTER_DATE": f"@{when} +0000"}  # fmt: skip
    argv = [shutil.which("git") or "git", "-C", str(repo), *args]
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository of a one-module ``pavedroad`` with a uv.lock, tagged v1.0.0, plus one commit."""
    repo = tmp_path / "repo"
    (repo / "src" / "pavedroad").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "src" / "pavedroad" / "__init__.py").write_text("WORD = 'first'\n")
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "lock", "--offline", "--quiet", "--project", str(repo)], check=True, capture_output=True)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "tag", "v1.0.0")
    (repo / "src" / "pavedroad" / "__init__.py").write_text("WORD = 'second'\n")
    _git(repo, "commit", "-q", "-am", "second", when=1_700_000_100)
    return repo


def _wheel_file(tarball: Path, member: str) -> str:
    with tarfile.open(tarball) as tar:
        (info,) = [m for m in tar.getmembers() if m.name.endswith(".whl") and "/pavedroad-" in m.name]
        wheel = tar.extractfile(info)
        assert wheel is not None
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(member).decode()


@pytest.mark.slow
def test_two_builds_of_a_commit_are_byte_identical(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    head = _git(project, "rev-parse", "HEAD").strip()
    first = build(project, tmp_path / "one", cache=tmp_path / "cache")
    (project / "src" / "pavedroad" / "__init__.py").write_text("WORD = 'uncommitted'\n")  # never built
    said: list[str] = []
    second = build(project, tmp_path / "two", cache=tmp_path / "cache", log=said.append)
    assert any("uncommitted changes" in line for line in said)
    assert first.version == second.version == f"1.0.1.dev1+g{head[:12]}"
    for a, b in [(first.tarball, second.tarball), (first.sbom, second.sbom), (first.checksums, second.checksums)]:
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes()
    info = json.loads(_wheel_file(second.tarball, "pavedroad/_build.json"))
    assert info == {"version": first.version, "commit": head, "built_at": "2023-11-14T22:15:00Z",
                    "python": f"{sys.version_info.major}.{sys.version_info.minor}"}  # fmt: skip
    assert _wheel_file(second.tarball, "pavedroad/__init__.py") == "WORD = 'second'\n"
