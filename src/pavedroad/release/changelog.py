"""The changelog section of a release: one line per change since the last release tag.

Changes are the first-parent commits of ``rev`` (on main: each merge and each direct commit, once),
listed by their subject, newest first. The section is written to ``dist/`` beside the artifact rather
than into a tracked file, so that a release build leaves the work tree clean.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pavedroad.release.version import describe, iso_utc

__all__ = ["changelog_section", "write_changelog"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout  # noqa: S607


def changelog_section(root: Path, *, version: str, rev: str = "HEAD") -> str:
    """Markdown: ``## pavedroad <version> (<commit date>)``, the previous tag, then one bullet per change."""
    d = describe(root, rev)
    span = f"{d.tag}..{d.commit}" if d.tag else d.commit
    subjects = _git(root, "log", "--first-parent", "--format=%s", span).splitlines()
    date = iso_utc(int(_git(root, "log", "-1", "--format=%ct", d.commit).strip()))[:10]
    since = f"Changes since {d.tag}" if d.tag else "Changes (no earlier release tag)"
    lines = [f"## pavedroad {version} ({date})", "", f"{since}: {len(subjects)} commit(s).", ""]
    lines += [f"- {subject}" for subject in subjects]
    return "\n".join(lines) + "\n"


def write_changelog(root: Path, out: Path, *, version: str, rev: str = "HEAD") -> Path:
    """Write the section to ``out/CHANGELOG-<version>.md`` and return its path."""
    path = out / f"CHANGELOG-{version}.md"
    path.write_text(changelog_section(root, version=version, rev=rev))
    return path
