"""Versions from git tags (PEP 440), and ``pavedroad version`` from a checkout and from a build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.errors import InvalidInput
from pavedroad.release import version as v
from pavedroad.release.changelog import changelog_section
from pavedroad.release.version import Describe, describe, pep440

SHA = "0123456789abcdef0123456789abcdef01234567"
REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (Describe("v1.2.3", 0, SHA), "1.2.3"),
        (Describe("v1.2.3", 5, SHA), "1.2.4.dev5+g0123456789ab"),
        (Describe("v1.2.3", 0, SHA, dirty=True), "1.2.3+g0123456789ab.dirty"),
        (Describe("v2.0", 1, SHA), "2.1.dev1+g0123456789ab"),
        (Describe(None, 42, SHA), "0.1.0.dev42+g0123456789ab"),
    ],
)
def test_pep440_versions_from_the_latest_tag(d: Describe, expected: str) -> None:
    assert pep440(d, untagged_base="0.1.0") == expected


def test_a_tag_that_is_not_a_release_is_refused_with_the_form_expected() -> None:
    with pytest.raises(InvalidInput, match=r"vX\.Y\.Z"):
        pep440(Describe("release-1", 0, SHA), untagged_base="0.1.0")


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(repo)}  # fmt: skip
    argv = [shutil.which("git") or "git", "-C", str(repo), *args]
    return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout


def _commit(repo: Path, n: int) -> None:
    (repo / "f.txt").write_text(str(n))
    _git(repo, "add", "f.txt")
    _git(repo, "commit", "-q", "-m", f"change {n}")


def test_describe_counts_commits_since_the_latest_release_tag(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, 1)
    assert describe(tmp_path).tag is None
    assert describe(tmp_path).distance == 1
    _git(tmp_path, "tag", "v0.1.0")
    assert describe(tmp_path) == Describe("v0.1.0", 0, _git(tmp_path, "rev-parse", "HEAD").strip())
    _commit(tmp_path, 2)
    _commit(tmp_path, 3)
    _git(tmp_path, "tag", "not-a-release")
    d = describe(tmp_path)
    assert (d.tag, d.distance) == ("v0.1.0", 2)
    assert pep440(d, untagged_base="9.9.9").startswith("0.1.1.dev2+g")
    (tmp_path / "f.txt").write_text("edited")
    assert describe(tmp_path, dirty=True).dirty
    assert not describe(tmp_path).dirty


def test_version_from_a_checkout_shows_its_commit() -> None:
    head = _git(REPO, "rev-parse", "HEAD").strip()
    out = subprocess.run(
        [str(Path(sys.executable).parent / "pavedroad"), "version", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = json.loads(out)
    assert info["commit"] == head
    assert info["source"] == "checkout"
    assert f"+g{head[:12]}" in info["version"]


def test_version_from_a_build_reads_its_build_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_file = tmp_path / "_build.json"
    build_file.write_text(json.dumps({"version": "1.2.3", "commit": SHA, "built_at": "2026-01-02T03:04:05Z"}))
    monkeypatch.setattr(v, "BUILD_FILE", build_file)
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0, result.output
    assert "pavedroad 1.2.3" in result.output
    assert SHA in result.output
    assert "2026-01-02T03:04:05Z" in result.output
    assert "artifact" in result.output


def test_the_changelog_section_lists_the_changes_since_the_last_tag(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, 1)
    _git(tmp_path, "tag", "v0.1.0")
    _commit(tmp_path, 2)
    _commit(tmp_path, 3)
    section = changelog_section(tmp_path, version="0.1.1.dev2+gabc")
    lines = section.splitlines()
    assert lines[0].startswith("## pavedroad 0.1.1.dev2+gabc (")
    assert "Changes since v0.1.0: 2 commit(s)." in lines
    assert [line for line in lines if line.startswith("- ")] == ["- change 3", "- change 2"]
